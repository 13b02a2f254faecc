import Fastify from 'fastify';

/**
 * The HTTP baseline: a bare fastify app in its own process (default options, logger off) answering
 * the station's POST /update-info with the 14-byte "nothing to change" answer, or with as many
 * bytes as its argument says. It parses the JSON body as fastify does by default; it checks
 * nothing and looks nothing up.
 */
const ANSWER = Buffer.alloc((JSON.parse(process.argv[2] ?? 'null') as number | null) ?? 14);
const app = Fastify();
app.post('/update-info', async (_request, reply) => reply.type('application/octet-stream').send(ANSWER));
await app.listen({ port: 0, host: '127.0.0.1' });
process.send?.({ listening: (app.server.address() as { port: number }).port });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void app.close().then(() => process.exit(0)));
