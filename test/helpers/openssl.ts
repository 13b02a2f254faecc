import { execFile } from 'node:child_process';

/**
 * What `openssl s_client` prints of a TLS 1.2 handshake with a server on loopback, among it the
 * CA names of the certificate request ("No client certificate CA names sent" when none).
 * Asynchronous: the server may answer from this same process.
 */
export function sClientHandshake(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', '-servername', 'localhost'],
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
    child.stdin!.end();
  });
}
