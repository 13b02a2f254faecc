import { execSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeUpdateInfoResponse } from '../../protocol/index.ts';
import { freePort, type ServerProcess, spawnServe } from '../helpers/spawn-server.ts';

const cwd = mkdtempSync(join(tmpdir(), 'cups-demo-'));
let server: ServerProcess | undefined;

afterAll(async () => {
  await server?.stop();
  rmSync(cwd, { recursive: true, force: true });
});

describe('first run on embedded defaults (npm start)', () => {
  it('creates the demo, takes its settings from CUPS_* variables, and prints a curl command that gets the answer', async () => {
    const port = await freePort();
    server = await spawnServe(['--demo'], { cwd, env: { CUPS_PORT: String(port), CUPS_HOST: '127.0.0.1' } });
    const printed = server.output().match(/^ {2}(curl .*) \| npx cups decode$/m);
    expect(printed, server.output()).not.toBeNull();
    expect(printed![1]).toContain(`https://localhost:${port}/update-info`);
    expect(server.output()).toContain('never IP SANs');
    const answer = execSync(`${printed![1]} --fail -s`, { cwd });
    const decoded = decodeUpdateInfoResponse(answer);
    expect(decoded.tcUri).toBe('wss://lns.example.com:8887');
    expect(decoded.tcCred!.length).toBeGreaterThan(500);
    expect(statSync(join(cwd, 'data/demo/gateway.key')).mode & 0o777).toBe(0o600);
    // The demo makes its own master key for the secrets it stores.
    expect(statSync(join(cwd, 'data/secret.key')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(cwd, 'tenants/demo/demo-ca.pem'))).toBe(true);
    expect(existsSync(join(cwd, 'data/cups.db'))).toBe(true);
    const ready = execSync(`curl -s --cacert data/demo/server-ca.crt https://localhost:${port}/readyz`, { cwd }).toString();
    expect(JSON.parse(ready)).toEqual({ ready: true });
  });

  it('stops on SIGTERM with exit status 0', async () => {
    expect(await server!.stop()).toBe(0);
    expect(server!.output()).toMatch(/shutting down/);
    server = undefined;
  });
});
