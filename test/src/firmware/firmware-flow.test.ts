import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { decodeUpdateInfoResponse, rawSigningPublicKey, signingKeyCrc } from '../../../protocol/index.ts';
import { AuditTrail } from '../../../src/audit/audit-trail.ts';
import { openStore } from '../../../src/registry/open-registry.ts';
import { VECTORS } from '../../helpers/paths.ts';
import { runCli } from '../../helpers/run-cli.ts';
import { post, routerBody, startTestServer, type TestServer } from '../../helpers/server.ts';
import { within } from '../../helpers/within.ts';

const vector = (name: string) => join(VECTORS, 'basicstation-test4-cups', name);
const SIG0_CRC = 0x1d1e9f14;
let pki: TestPki;
let server: TestServer;
let cli: (...args: string[]) => ReturnType<typeof runCli>;

beforeAll(async () => {
  pki = await createTestPki();
  server = await startTestServer(pki);
  // A commit by another process is seen by the server within its change check (200 ms for
  // SQLite): the next request is asked once that has passed.
  cli = async (...args) => {
    const result = await runCli([...args, '--db', server.db, '--secret-key-file', server.secretKeyFile]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    return result;
  };
  // A plain ws:// LNS without credentials, so that the answers below carry only firmware.
  for (const eui of [EUI.a, EUI.b]) expect((await cli('gateway', 'update', '--eui', eui, '--lns-uri', 'ws://lns:1')).status).toBe(0);
}, 60_000);
afterAll(() => server?.server.close());

/** A station's request: the LNS it already has, and what it reports about firmware and keys. */
const ask = (report: { model?: string; package?: string | null; keys?: number[] }, leaf = pki.leaves.a, eui: string = EUI.a) =>
  post(server.port, {
    tls: { ca: pki.serverCa.pem, cert: leaf.pem, key: leaf.keyPem },
    body: routerBody(eui, { tcUri: 'ws://lns:1', tcCredCrc: 0x7bd5c66f, model: 'linux', package: '2.0.6', keys: [], ...report }),
  });

describe('the basicstation test4-cups vectors, end to end', () => {
  it('cups firmware add checks the signature and stores the image once', async () => {
    const added = await cli(
      'firmware',
      'add',
      '--model',
      'linux',
      '--version',
      '2.0.7',
      '--file',
      vector('v1.bin'),
      '--sig',
      vector('v1.bin.sig-0'),
      '--pubkey',
      vector('sig-0.key'),
      '--channel',
      'stable',
      '--firmware-dir',
      join(server.dir, 'firmware'),
    );
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      /stored linux 2\.0\.7 \(136 bytes, sha256 [0-9a-f]{64}, in \/\S*firmware\) with signatures by 0x1D1E9F14; target of channel stable/,
    );
    expect(readdirSync(join(server.dir, 'firmware'))).toEqual([
      `${createHash('sha256')
        .update(readFileSync(vector('v1.bin')))
        .digest('hex')}.bin`,
    ]);
  });

  it('a station holding sig-0 gets v1.bin with its signature: the 226-byte answer, byte for byte', async () => {
    const answer = await ask({ keys: [SIG0_CRC] });
    expect(answer.status).toBe(200);
    expect(Number(answer.headers['content-length'])).toBe(226);
    const expected = Buffer.concat([
      Buffer.from('0000' + '0000' + '0000' + '4c000000' + '149f1e1d', 'hex'),
      readFileSync(vector('v1.bin.sig-0')),
      Buffer.from('88000000', 'hex'),
      readFileSync(vector('v1.bin')),
    ]);
    expect(answer.body).toEqual(expected);
    expect(answer.body.subarray(0, 16).toString('hex')).toBe('000000000000' + '4c000000' + '149f1e1d' + '3046');
  });

  it('once it reports the target version it gets 14 zero bytes', async () => {
    expect((await ask({ keys: [SIG0_CRC], package: '2.0.7' })).body).toEqual(Buffer.alloc(14));
  });

  it.each([
    ['holding no key (signed-only channel)', { keys: [] }],
    ['holding only other keys', { keys: [1, 2, 3] }],
    ['of another model', { keys: [SIG0_CRC], model: 'rpi' }],
    ['reporting no model', { keys: [SIG0_CRC], model: undefined }],
  ])('a station %s gets no update', async (_name, report) => {
    const answer = await ask(report as never);
    expect(answer.body).toEqual(Buffer.alloc(14));
  });

  it('logs why a station got no update', () => {
    expect(server.log()).toContainEqual(
      expect.objectContaining({
        eui: EUI.a,
        firmware: '2.0.7',
        msg: 'no firmware update: no signature of 2.0.7 by a key the station holds',
      }),
    );
  });
});

describe('refused images', () => {
  it('a signature that does not verify: nothing stored', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(join(server.dir, 'other.pub'), rawSigningPublicKey(other.publicKey));
    const result = await cli(
      'firmware',
      'add',
      '--model',
      'linux',
      '--version',
      '9.9',
      '--file',
      vector('v1.bin'),
      '--sig',
      vector('v1.bin.sig-0'),
      '--pubkey',
      join(server.dir, 'other.pub'),
      '--firmware-dir',
      join(server.dir, 'firmware-refused'),
    );
    expect([result.status, result.stderr]).toEqual([
      1,
      expect.stringMatching(/invalid_firmware.*is not a valid signature.*nothing was stored/),
    ]);
    expect(existsSync(join(server.dir, 'firmware-refused'))).toBe(false);
    expect((await cli('firmware', 'status')).stdout).not.toContain('9.9');
  });

  it('no signature without --unsigned', async () => {
    const result = await cli('firmware', 'add', '--model', 'linux', '--version', '9.9', '--file', vector('v1.bin'));
    expect(result.stderr).toMatch(/invalid_firmware.*--unsigned/);
  });
});

describe('signing keys, a 16 MiB image, staged rollout', () => {
  const dir = () => join(server.dir, 'release');
  let crc: number;
  let image: Buffer;

  beforeAll(async () => {
    mkdirSync(dir(), { recursive: true });
    const created = await runCli(['firmware', 'key', 'create', '--out', join(dir(), 'keys')]);
    expect(created.status).toBe(0);
    crc = signingKeyCrc(readFileSync(join(dir(), 'keys', 'sig-0.key')));
    expect(created.stdout).toContain(`key CRC 0x${crc.toString(16).toUpperCase().padStart(8, '0')}`);
    image = randomBytes(16 * 1024 * 1024);
    writeFileSync(join(dir(), 'big.bin'), image);
    const signed = await runCli(['firmware', 'sign', '--key', join(dir(), 'keys', 'signing.key'), join(dir(), 'big.bin')]);
    expect(signed.status).toBe(0);
    const added = await cli(
      'firmware',
      'add',
      '--model',
      'gw16',
      '--version',
      '3.0',
      '--file',
      join(dir(), 'big.bin'),
      '--sig',
      join(dir(), 'big.bin.sig'),
      '--pubkey',
      join(dir(), 'keys', 'signing.pub'),
      '--firmware-dir',
      join(server.dir, 'firmware'),
    );
    expect(added.status, added.stderr).toBe(0);
  }, 60_000);

  it('streams the image with the right Content-Length, signed by the created key', async () => {
    expect((await cli('firmware', 'rollout', '--model', 'gw16', '--version', '3.0', '--percent', '100')).status).toBe(0);
    const answer = await ask({ model: 'gw16', keys: [crc] });
    expect(Number(answer.headers['content-length'])).toBe(answer.body.length);
    const decoded = decodeUpdateInfoResponse(answer.body);
    // Buffer.equals: a deep toEqual over 16 MiB would walk every byte as a property.
    expect(Buffer.from(decoded.update!).equals(image)).toBe(true);
    expect(decoded.signature!.keyCrc).toBe(crc);
  });

  it('rollout share, pause, resume, pin and rollback, as the CLI sets them', async () => {
    const gets = async (eui: string = EUI.a, leaf = pki.leaves.a) =>
      decodeUpdateInfoResponse((await ask({ model: 'gw16', keys: [crc], package: '1.0' }, leaf, eui)).body).update !== undefined;
    expect((await cli('firmware', 'rollout', '--model', 'gw16', '--version', '3.0', '--percent', '0')).status).toBe(0);
    expect(await gets()).toBe(false);
    await cli('firmware', 'rollout', '--model', 'gw16', '--version', '3.0', '--percent', '100');
    expect(await gets()).toBe(true);
    await cli('firmware', 'pause', '--model', 'gw16');
    expect(await gets()).toBe(false);
    // A pinned gateway gets its version all the same.
    await cli('gateway', 'update', '--eui', EUI.b, '--firmware-pin', '3.0');
    expect(await gets(EUI.b, pki.leaves.b)).toBe(true);
    await cli('firmware', 'resume', '--model', 'gw16');
    expect(await gets()).toBe(true);
    // Roll out the signed 136-byte vector image as 3.1, then roll back to 3.0.
    const again = await cli(
      'firmware',
      'add',
      '--model',
      'gw16',
      '--version',
      '3.1',
      '--file',
      vector('v1.bin'),
      '--sig',
      vector('v1.bin.sig-0'),
      '--pubkey',
      vector('sig-0.key'),
      '--firmware-dir',
      join(server.dir, 'firmware'),
    );
    expect(again.status).toBe(0);
    expect((await cli('firmware', 'rollout', '--model', 'gw16', '--version', '3.1')).stdout).toBe(
      'gw16/stable: 3.1 to 100% (rollback to 3.0)\n',
    );
    const onNew = decodeUpdateInfoResponse((await ask({ model: 'gw16', keys: [SIG0_CRC] })).body);
    expect(onNew.update?.length).toBe(136);
    expect((await cli('firmware', 'rollback', '--model', 'gw16')).stdout).toBe('gw16/stable: back to 3.0\n');
    expect(decodeUpdateInfoResponse((await ask({ model: 'gw16', keys: [crc] })).body).update?.length).toBe(16 * 1024 * 1024);
    // Each change is in the audit trail, done by the CLI.
    const store = openStore(server.db);
    try {
      const events = await new AuditTrail(store.directSql).list({ limit: 1000 });
      const actions = events.filter((e) => e.actor === 'cli' && e.action.startsWith('firmware.')).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining(['firmware.image.add', 'firmware.rollout', 'firmware.pause', 'firmware.resume', 'firmware.rollback']),
      );
    } finally {
      await store.close();
    }
  }, 60_000);

  it('unsigned images reach keyless stations only on channels that allow them', async () => {
    expect(
      (
        await cli(
          'firmware',
          'add',
          '--model',
          'tiny',
          '--version',
          '1.1',
          '--file',
          vector('v1.bin'),
          '--unsigned',
          '--firmware-dir',
          join(server.dir, 'firmware'),
        )
      ).status,
    ).toBe(0);
    await cli('firmware', 'rollout', '--model', 'tiny', '--version', '1.1');
    expect((await ask({ model: 'tiny', keys: [] })).body).toEqual(Buffer.alloc(14));
    await cli('firmware', 'rollout', '--model', 'tiny', '--version', '1.1', '--allow-unsigned');
    const unsigned = decodeUpdateInfoResponse((await ask({ model: 'tiny', keys: [] })).body);
    expect(unsigned.signature).toBeUndefined();
    expect(unsigned.update?.length).toBe(136);
    // A station holding keys is never sent the image unsigned.
    expect((await ask({ model: 'tiny', keys: [42] })).body).toEqual(Buffer.alloc(14));
    // Signatures belong to the bytes: these are v1.bin, which sig-0 signed, so a sig-0 station gets it signed.
    expect(decodeUpdateInfoResponse((await ask({ model: 'tiny', keys: [SIG0_CRC] })).body).signature?.keyCrc).toBe(SIG0_CRC);
  });

  it('cups firmware status shows channels, images, and how many gateways report each version', async () => {
    await ask({ model: 'gw16', package: '3.0', keys: [crc] });
    // Contacts are written in batches a second behind the answers, so the report shows up soon, not at once.
    let stdout = '';
    await within(10_000, async () => /gw16\s+3\.0\s+1\n/.test((stdout = (await cli('firmware', 'status')).stdout)));
    expect(stdout).toMatch(/gw16\s+stable\s+3\.0\s+100%\s+no\s+never/);
    expect(stdout).toMatch(/tiny\s+stable\s+1\.1\s+100%\s+no\s+allowed/);
  }, 30_000);
});

describe('the station emulator with firmware', () => {
  it('writes update.bin after checking the signature with its sig-0.key, and then asks no more', async () => {
    const home = join(server.dir, 'station');
    mkdirSync(home);
    writeFileSync(join(home, 'cups.uri'), `https://localhost:${server.port}`);
    writeFileSync(join(home, 'cups.trust'), pki.serverCa.pem);
    writeFileSync(join(home, 'cups.crt'), pki.leaves.a.pem);
    writeFileSync(join(home, 'cups.key'), pki.leaves.a.keyPem);
    writeFileSync(join(home, 'sig-0.key'), readFileSync(vector('sig-0.key')));
    writeFileSync(join(home, 'version.txt'), '2.0.6\n');
    const first = await runCli(['update-info', '--home', home]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('wrote update.bin (136 bytes)');
    expect(first.stdout).toContain('update: signature verified with the key of CRC 0x1D1E9F14');
    expect(readFileSync(join(home, 'update.bin'))).toEqual(readFileSync(vector('v1.bin')));
    writeFileSync(join(home, 'version.txt'), '2.0.7\n');
    expect((await runCli(['update-info', '--home', home])).stdout).toMatch(/200, 14 bytes\nnothing to change\n$/);
  });
});
