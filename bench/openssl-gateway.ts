import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A tenant CA and one gateway certificate (CN = the EUI, clientAuth) made by openssl, as a
 * vendor's own tooling would, rather than by this project's code: the bench's station presents it.
 */
export function opensslGateway(dir: string, eui: string): { caPem: string; certPem: string } {
  const at = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', at('ca.key'), '-out', at('ca.pem'), '-subj', '/CN=Bench openssl CA', '-days', '30');
  openssl('req', ...ec, '-keyout', at('gateway.key'), '-out', at('gateway.csr'), '-subj', `/CN=${eui}`);
  writeFileSync(at('gateway.ext'), 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  openssl(
    'x509',
    '-req',
    '-in',
    at('gateway.csr'),
    '-CA',
    at('ca.pem'),
    '-CAkey',
    at('ca.key'),
    '-CAcreateserial',
    '-days',
    '30',
    '-extfile',
    at('gateway.ext'),
    '-out',
    at('gateway.pem'),
  );
  return { caPem: readFileSync(at('ca.pem'), 'utf8'), certPem: readFileSync(at('gateway.pem'), 'utf8') };
}
