import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createSecureContext, type SecureContext } from 'node:tls';

/** What the storm sends: one request per gateway, each on a new connection from an address of its own. */
export interface StormPlan {
  port: number;
  /** tls: the gateway's certificate in the handshake; proxy: in the forwarded header, over plain HTTP. */
  mode: 'tls' | 'proxy';
  path: string;
  certificates: string[];
  bodies: string[];
  keyPem: string;
  serverCaPem: string;
  /** Connections being opened or answered at any moment. */
  inFlight: number;
}

export interface StormResult {
  seconds: number;
  /** Answers by status; a connection that failed counts under 0. */
  statuses: Record<number, number>;
}

/** The source address of the i-th gateway: 127.1.0.0 onwards, so each is a client of its own to the server. */
const sourceAddress = (i: number) => `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;

async function storm(plan: StormPlan): Promise<StormResult> {
  // Made before the clock starts: the client's own set-up is not the server's time.
  const contexts: (SecureContext | undefined)[] = plan.certificates.map((cert) =>
    plan.mode === 'tls' ? createSecureContext({ cert, key: plan.keyPem, ca: plan.serverCaPem }) : undefined,
  );
  const statuses: Record<number, number> = {};
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const body = plan.bodies[i]!;
      const common = {
        host: '127.0.0.1',
        port: plan.port,
        path: plan.path,
        method: 'POST',
        agent: false as const,
        localAddress: sourceAddress(i),
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } as Record<string, string | number>,
      };
      const done = (status: number) => {
        statuses[status] = (statuses[status] ?? 0) + 1;
        resolve();
      };
      const req =
        plan.mode === 'tls'
          ? httpsRequest({ ...common, servername: 'localhost', secureContext: contexts[i]! } as RequestOptions, (res) =>
              res.resume().on('end', () => done(res.statusCode!)),
            )
          : httpRequest(
              { ...common, headers: { ...common.headers, 'x-ssl-client-cert': encodeURIComponent(plan.certificates[i]!) } },
              (res) => res.resume().on('end', () => done(res.statusCode!)),
            );
      req.on('error', () => done(0));
      req.end(body);
    });
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: plan.inFlight }, async () => {
      while (next < plan.certificates.length) await one(next++);
    }),
  );
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, statuses };
}

process.once('message', async (plan: StormPlan) => {
  process.send!(await storm(plan));
});
