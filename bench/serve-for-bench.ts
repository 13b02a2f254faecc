import type { ServeOptions } from '../src/config/serve-options.ts';
import { startServer } from '../src/server/start-server.ts';

/**
 * The real server with one extra route, POST /baseline, answering the 14-byte "nothing" body:
 * the same process, options and hooks, so the ratio measures only what /update-info adds.
 */
const options = JSON.parse(process.argv[2]!) as ServeOptions;
const NOTHING = Buffer.alloc(14);
const server = await startServer(options, undefined, (app) => {
  app.post('/baseline', async (_request, reply) => reply.type('application/octet-stream').send(NOTHING));
});
process.send?.({ listening: (server.app.server.address() as { port: number }).port });
process.on('SIGTERM', () => void server.close().then(() => process.exit(0)));
