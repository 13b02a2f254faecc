import type pg from 'pg';

/** The channel every writer notifies after a committed change, and every server listens on. */
export const CHANGE_CHANNEL = 'cups_registry';
const RECONNECT_MS = 1000;

/**
 * A LISTEN connection that says when the registry may have changed: on any notification, and
 * whenever the connection is lost or regained (notifications may have been missed meanwhile).
 * While it is not connected, `live` is false and nothing may be served from memory.
 */
export class PgChangeFeed {
  private client: pg.Client | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  live = false;

  constructor(
    private readonly connect: () => pg.Client,
    private readonly onChange: () => void,
    private readonly onError: (error: Error) => void,
  ) {}

  async start(): Promise<void> {
    const client = this.connect();
    this.client = client;
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      // Said once when the connection goes, not at every retry while the database is away.
      if (error && this.live) this.onError(error);
      this.live = false;
      this.onChange();
      void client.end().catch(() => {});
      if (!this.stopped) this.timer = setTimeout(() => void this.start().catch(() => {}), RECONNECT_MS);
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', () => this.onChange());
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANGE_CHANNEL}`);
      // Anything cached before this point may have missed a notification.
      this.onChange();
      this.live = true;
    } catch (error) {
      lost(error as Error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.live = false;
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
