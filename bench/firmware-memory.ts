import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rawSigningPublicKey, signingKeyCrc, signUpdate } from '../protocol/index.ts';
import { createCertificate, OID } from '../src/pki/create-certificate.ts';
import { startPostgres } from '../test/helpers/postgres.ts';
import { freePort } from '../test/helpers/spawn-server.ts';
import { processMb } from './process-stats.ts';

const CUPS = fileURLToPath(new URL('../bin/cups.js', import.meta.url));
const IMAGE_BYTES = 16 * 1024 * 1024;
const CONCURRENT = 50;
const LIMIT_MB = 300;

export interface MemoryBenchRow {
  name: string;
  idleMb: number;
  peakMb: number;
  limitMb: number;
  bytesServed: number;
  met: boolean;
}

/**
 * 50 gateways at once fetching a 16 MiB signed image, the server's peak RSS against the limit:
 * with SQLite (the image a file) and with PostgreSQL (the image in the database, in chunks).
 */
export async function benchFirmwareMemory(): Promise<MemoryBenchRow[]> {
  const rows = [await downloads('SQLite, image in --firmware-dir', (dir) => `sqlite:${join(dir, 'cups.db')}`)];
  const postgres = await startPostgres();
  try {
    rows.push(await downloads('PostgreSQL, image in the database', () => postgres.createDatabase('bench_firmware')));
  } finally {
    await postgres.destroy();
  }
  return rows;
}

async function downloads(store: string, database: (dir: string) => string | Promise<string>): Promise<MemoryBenchRow> {
  const dir = mkdtempSync(join(tmpdir(), 'cups-bench-fw-'));
  const flags = ['--db', await database(dir), '--secret-key-file', join(dir, 'secret.key')];
  const cups = (...args: string[]) => {
    const result = spawnSync(process.execPath, [CUPS, ...args, ...flags], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(result.stderr);
  };
  try {
    const root = await createCertificate({ subject: 'Bench root', ca: true });
    const leaf = await createCertificate({ subject: 'B827EBFFFE000001', issuer: root, extKeyUsage: [OID.clientAuth] });
    mkdirSync(join(dir, 'tenants', 'bench'), { recursive: true });
    writeFileSync(join(dir, 'tenants', 'bench', 'root.pem'), root.pem);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const image = randomBytes(IMAGE_BYTES);
    writeFileSync(join(dir, 'image.bin'), image);
    writeFileSync(join(dir, 'image.sig'), signUpdate(image, privateKey));
    writeFileSync(join(dir, 'sig-0.key'), rawSigningPublicKey(publicKey));
    cups('gateway', 'add', '--tenant', 'bench', '--eui', 'B827EBFFFE000001', '--lns-uri', 'ws://lns:1');
    cups(
      'firmware',
      'add',
      '--model',
      'bench',
      '--version',
      '2',
      '--file',
      join(dir, 'image.bin'),
      '--sig',
      join(dir, 'image.sig'),
      '--pubkey',
      join(dir, 'sig-0.key'),
      '--channel',
      'stable',
      '--firmware-dir',
      join(dir, 'firmware'),
    );
    const port = await freePort();
    const server = spawn(
      process.execPath,
      [
        CUPS,
        'serve',
        '--port',
        String(port),
        '--admin-port',
        '0',
        '--host',
        '127.0.0.1',
        '--tenants',
        join(dir, 'tenants'),
        '--client-cert-header',
        'X-SSL-Client-Cert',
        // One gateway's certificate stands in for 50 gateways: its rate limit would refuse the rest.
        '--firmware-dir',
        join(dir, 'firmware'),
        '--log-level',
        'warn',
        '--rate-limit-eui',
        '0',
        ...flags,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    try {
      const body = JSON.stringify({
        router: 'B827EBFFFE000001',
        tcUri: 'ws://lns:1',
        model: 'bench',
        package: '1',
        keys: [signingKeyCrc(publicKey)],
      });
      const ask = () =>
        new Promise<number>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              method: 'POST',
              path: '/update-info',
              agent: false,
              headers: { 'content-type': 'application/json', 'x-ssl-client-cert': encodeURIComponent(leaf.pem) },
            },
            (res) => {
              let bytes = 0;
              res.on('data', (chunk: Buffer) => (bytes += chunk.length));
              res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`status ${res.statusCode}`))));
            },
          );
          req.on('error', reject);
          req.end(body);
        });
      for (let tries = 0; ; tries++) {
        try {
          await ask();
          break;
        } catch (error) {
          if (tries > 100) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      const idleMb = processMb(server.pid!, 'VmRSS');
      const served = await Promise.all(Array.from({ length: CONCURRENT }, ask));
      const peakMb = processMb(server.pid!, 'VmHWM');
      const bytesServed = served.reduce((a, b) => a + b, 0);
      if (served.some((bytes) => bytes < IMAGE_BYTES)) throw new Error('an answer was shorter than the image');
      return {
        name: `${CONCURRENT} concurrent requests for a 16 MiB image (${store})`,
        idleMb,
        peakMb,
        limitMb: LIMIT_MB,
        bytesServed,
        met: peakMb < LIMIT_MB,
      };
    } finally {
      server.kill('SIGTERM');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
