import { describe, expect, it } from 'vitest';
import { credentialsCrc, encodeUpdateInfoResponse, type UpdateInfoRequest, type UpdateInfoResponse } from '../../../protocol/index.ts';
import { decideAnswer } from '../../../src/http/decide-answer.ts';
import type { Gateway } from '../../../src/registry/gateway-registry.ts';

const lnsCred = Buffer.from('30030102030000000041757468', 'hex');
const cupsCred = Buffer.from('3003040506000000000000000000', 'hex');
const gateway: Gateway = {
  eui: '58A0CBFFFE800019',
  tenant: 'acme',
  name: null,
  lnsUri: 'wss://lns:8887',
  lnsCredentials: lnsCred,
  cupsUri: 'https://cups2:443',
  cupsCredentials: cupsCred,
  pinnedCertificates: [],
  revokedCertificates: [],
  renewal: null,
  renewalCredentials: null,
  selfSignedCertificate: null,
  firmwareChannel: null,
  firmwarePin: null,
  createdAt: '',
  updatedAt: '',
  lastContact: null,
};
const request = (overrides: Partial<UpdateInfoRequest>): UpdateInfoRequest => ({
  router: 0x58a0cbfffe800019n,
  cupsUri: 'https://cups2:443',
  tcUri: 'wss://lns:8887',
  cupsCredCrc: credentialsCrc(cupsCred),
  tcCredCrc: credentialsCrc(lnsCred),
  station: null,
  model: null,
  package: null,
  keys: [],
  ...overrides,
});

describe('decideAnswer', () => {
  it.each<[string, Partial<UpdateInfoRequest>, Partial<Gateway>, UpdateInfoResponse]>([
    ['a station that has everything', {}, {}, {}],
    [
      'first contact: no tc.uri, no credential files',
      { tcUri: null, tcCredCrc: 0x7bd5c66f, cupsUri: null, cupsCredCrc: 0x7bd5c66f },
      {},
      { cupsUri: 'https://cups2:443', cupsCred, tcUri: 'wss://lns:8887', tcCred: lnsCred },
    ],
    ['a moved LNS', { tcUri: 'wss://old:8887' }, {}, { tcUri: 'wss://lns:8887' }],
    ['rotated LNS credentials', { tcCredCrc: 1 }, {}, { tcCred: lnsCred }],
    ['rotated CUPS credentials only', { cupsCredCrc: 1 }, {}, { cupsCred }],
    [
      'no CUPS handover configured: the station keeps its own',
      { cupsUri: 'https://cups1', cupsCredCrc: 7 },
      { cupsUri: null, cupsCredentials: null },
      {},
    ],
    [
      'ws:// LNS without credentials: nothing to send but the URI',
      { tcUri: null, tcCredCrc: 0 },
      { lnsUri: 'ws://lns:8887', lnsCredentials: null },
      { tcUri: 'ws://lns:8887' },
    ],
  ])('%s', (_name, req, gw, expected) => {
    const decided = decideAnswer(request(req), { ...gateway, ...gw });
    expect(decided.response).toEqual(expected);
    expect(decided.bytes).toEqual(encodeUpdateInfoResponse(expected));
    expect(decided.handed?.sent ?? []).toEqual(Object.keys(expected));
  });

  it('gives a station that asks again the same answer, encoded once; a changed record gets its own', () => {
    const record = { ...gateway };
    const first = decideAnswer(request({ tcUri: null }), record);
    expect(decideAnswer(request({ tcUri: null }), record)).toBe(first);
    expect(decideAnswer(request({ tcUri: null }), { ...record, lnsUri: 'wss://moved:8887' }).response.tcUri).toBe('wss://moved:8887');
    expect(first.handed).toEqual({ sent: ['tcUri'] });
    expect(decideAnswer(request({ tcCredCrc: 1 }), record).handed).toEqual({ sent: ['tcCred'], tcCredCrc: credentialsCrc(lnsCred) });
  });

  it('keeps no answer per gateway for "nothing changes", and kept answers hold no share of a pooled slab', () => {
    // A whole fleet in its steady state: one answer for all of them.
    expect(decideAnswer(request({}), { ...gateway })).toBe(decideAnswer(request({}), { ...gateway, eui: '58A0CBFFFE80001A' }));
    for (const decided of [decideAnswer(request({}), gateway), decideAnswer(request({ tcUri: null }), { ...gateway })]) {
      // A small Buffer from Node's pool is a view of an 8 KiB ArrayBuffer it keeps alive.
      expect(decided.bytes.buffer.byteLength).toBe(decided.bytes.length);
    }
  });
});
