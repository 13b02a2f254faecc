import { beforeAll, describe, expect, it } from 'vitest';
import { createCertificate, type IssuedCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { generateKeyPair } from '../../../src/pki/keys.ts';
import { parseCertificate } from '../../../src/trust/certificate-facts.ts';
import { storedCertificate, TrustStore } from '../../../src/trust/trust-store.ts';
import { MAX_CHAIN_LENGTH, VERIFICATION_BUDGET_US, verifyClientChain } from '../../../src/trust/verify-chain.ts';
import { lookAlikeCas } from '../../helpers/unusual-certificates.ts';

const EUI = 'B827EBFFFE123456';
const leafOf = (issuer: IssuedCertificate) => createCertificate({ subject: EUI, issuer, extKeyUsage: [OID.clientAuth] });

function storeOf(entries: [IssuedCertificate, ...string[]][]): TrustStore {
  return new TrustStore(entries.map(([cert, ...tenants]) => storedCertificate(parseCertificate(cert.der), tenants, [])));
}

const codeOf = (verifying: Promise<unknown>): Promise<string> =>
  verifying.then(
    () => 'ok',
    (error: { code: string }) => error.code,
  );

let root: IssuedCertificate;
beforeAll(async () => {
  root = await createCertificate({ subject: 'Root', ca: true });
});

describe('verifyClientChain', () => {
  it('enforces path length constraints', async () => {
    const int1 = await createCertificate({ subject: 'Int 1', issuer: root, ca: true, pathLength: 0 });
    const int2 = await createCertificate({ subject: 'Int 2', issuer: int1, ca: true });
    const leaf = await leafOf(int2);
    expect(await codeOf(verifyClientChain(leaf.der, [int2.der, int1.der], storeOf([[root, 'a']])))).toBe('certificate_untrusted');
    const direct = await leafOf(int1);
    expect(await codeOf(verifyClientChain(direct.der, [int1.der], storeOf([[root, 'a']])))).toBe('ok');
  });

  it('refuses an intermediate without the CA flag, or without basic constraints', async () => {
    const notCa = await createCertificate({ subject: 'Not a CA', issuer: root, ca: false, keyUsage: 0x04 });
    const noConstraints = await createCertificate({ subject: 'No constraints', issuer: root, keyUsage: 0x04 });
    for (const int of [notCa, noConstraints]) {
      const leaf = await leafOf(int);
      expect(await codeOf(verifyClientChain(leaf.der, [int.der], storeOf([[root, 'a']])))).toBe('certificate_untrusted');
    }
  });

  it(`refuses chains longer than ${MAX_CHAIN_LENGTH} certificates, such as 12`, async () => {
    const chain: IssuedCertificate[] = [];
    let issuer = root;
    for (let i = 0; i < 10; i++) chain.unshift((issuer = await createCertificate({ subject: `Int ${i}`, issuer, ca: true })));
    const leaf = await leafOf(issuer);
    expect(
      await codeOf(
        verifyClientChain(
          leaf.der,
          chain.map((c) => c.der),
          storeOf([[root, 'a']]),
        ),
      ),
    ).toBe('certificate_untrusted');
    // Leaf, six intermediates and the root: exactly the limit.
    const atLimit = await leafOf(chain[4]!);
    expect(
      await codeOf(
        verifyClientChain(
          atLimit.der,
          chain.slice(4).map((c) => c.der),
          storeOf([[root, 'a']]),
        ),
      ),
    ).toBe('ok');
  });

  it('terminates on a chain loop and on duplicated intermediates', async () => {
    const keysX = await generateKeyPair();
    const x0 = await createCertificate({ subject: 'X', ca: true, keyPair: keysX });
    const y = await createCertificate({ subject: 'Y', issuer: x0, ca: true });
    const x1 = await createCertificate({ subject: 'X', issuer: y, ca: true, keyPair: keysX });
    const leaf = await leafOf(x1);
    expect(await codeOf(verifyClientChain(leaf.der, [x1.der, y.der, x1.der, y.der], storeOf([[root, 'a']])))).toBe('certificate_untrusted');
    const int = await createCertificate({ subject: 'Int', issuer: root, ca: true });
    const good = await leafOf(int);
    expect(await codeOf(verifyClientChain(good.der, [int.der, int.der, int.der], storeOf([[root, 'a']])))).toBe('ok');
  });

  it(`gives up after ${VERIFICATION_BUDGET_US / 1000} ms of signature checks on look-alike CAs that sign each other`, async () => {
    // Ten CAs of one name and one key: every one verifies as the issuer of every other, and none reaches the store.
    const lookAlikes = await lookAlikeCas(10);
    const leaf = await leafOf(lookAlikes[0]);
    await expect(
      verifyClientChain(
        leaf.der,
        lookAlikes.map((c) => c.der),
        storeOf([[root, 'a']]),
      ),
    ).rejects.toMatchObject({
      code: 'certificate_untrusted',
      message: expect.stringContaining(`more than ${VERIFICATION_BUDGET_US / 1000} ms of signature checks`),
    });
  });

  it('counts each check by what it costs: four look-alikes fit the budget with P-256 keys, not with RSA-4096 ones', async () => {
    // Four look-alikes offer 4 + 12 + 24 + 24 = 64 checks: 3.2 ms with P-256 keys, 6.4 ms with RSA-4096.
    const refusalWith = async (keyType: 'ec' | 'rsa4096') => {
      const lookAlikes = await lookAlikeCas(4, await generateKeyPair(keyType));
      const leaf = await leafOf(lookAlikes[0]);
      return verifyClientChain(
        leaf.der,
        lookAlikes.map((c) => c.der),
        storeOf([[root, 'a']]),
      ).catch((error: Error) => error.message);
    };
    expect(await refusalWith('ec')).toMatch(/^no chain from the client certificate/);
    expect(await refusalWith('rsa4096')).toContain(`more than ${VERIFICATION_BUDGET_US / 1000} ms of signature checks`);
  });

  it('reports an expired intermediate as expired', async () => {
    const now = Date.now();
    const old = await createCertificate({
      subject: 'Old int',
      issuer: root,
      ca: true,
      notBefore: new Date(now - 9e9),
      notAfter: new Date(now - 1e6),
    });
    const leaf = await leafOf(old);
    expect(await codeOf(verifyClientChain(leaf.der, [old.der], storeOf([[root, 'a']])))).toBe('certificate_expired');
  });

  it('a signature by another key with the same issuer name does not count', async () => {
    const impostor = await createCertificate({ subject: 'Root', ca: true });
    const leaf = await leafOf(impostor);
    expect(await codeOf(verifyClientChain(leaf.der, [], storeOf([[root, 'a']])))).toBe('certificate_untrusted');
  });

  it('scopes a chain to the tenants whose folders hold its root or stored intermediates, whatever the client presents', async () => {
    const int = await createCertificate({ subject: 'Tenant B int', issuer: root, ca: true });
    const leaf = await leafOf(int);
    // Root in common, intermediate only in tenant B's folder: only B's gateways.
    expect(
      (
        await verifyClientChain(
          leaf.der,
          [],
          storeOf([
            [root, 'common'],
            [int, 'b'],
          ]),
        )
      ).scope,
    ).toEqual(new Set(['b']));
    // Presenting the stored intermediate changes nothing: it counts as the stored one.
    expect(
      (
        await verifyClientChain(
          leaf.der,
          [int.der],
          storeOf([
            [root, 'common'],
            [int, 'b'],
          ]),
        )
      ).scope,
    ).toEqual(new Set(['b']));
    // The same intermediate not in the store: the path passes through the common root only.
    expect((await verifyClientChain(leaf.der, [int.der], storeOf([[root, 'common']]))).scope).toBe('all');
    // A root in two tenants' folders serves both.
    expect((await verifyClientChain(leaf.der, [int.der], storeOf([[root, 'a', 'b']]))).scope).toEqual(new Set(['a', 'b']));
  });

  it('finds the issuer among 200 tenant CAs of one name by its key identifier, with no scan', async () => {
    const cas = await Promise.all(Array.from({ length: 200 }, () => createCertificate({ subject: 'Gateway CA', ca: true })));
    const store = storeOf(cas.map((ca, i) => [ca, `tenant-${i}`]));
    const leaf = await leafOf(cas[137]!);
    const facts = parseCertificate(leaf.der);
    expect(store.issuersOf(facts).map((c) => c.fingerprint)).toEqual([parseCertificate(cas[137]!.der).fingerprint]);
    expect((await verifyClientChain(leaf.der, [], store)).scope).toEqual(new Set(['tenant-137']));
    // A certificate naming no authority key identifier matches every CA of its issuer name.
    const unkeyed = { ...facts, authorityKeyId: undefined };
    expect(store.issuersOf(unkeyed)).toHaveLength(200);
  });

  it('refuses garbage as malformed', async () => {
    expect(await codeOf(verifyClientChain(Buffer.from('garbage'), [], storeOf([[root, 'a']])))).toBe('client_certificate_malformed');
  });
});
