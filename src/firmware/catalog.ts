import { FirmwareNotFound, InvalidFirmware } from '../errors.ts';
import type { SqlExecutor } from '../registry/sql-dialect.ts';

export const DEFAULT_CHANNEL = 'stable';

export interface FirmwareImage {
  sha256: string;
  model: string;
  version: string;
  size: number;
  signatures: { keyCrc: number; signature: Buffer }[];
}

/** Where a model's channel stands: its target, the rollout share, and what a rollback returns to. */
export interface Channel {
  model: string;
  channel: string;
  targetVersion: string | null;
  previousVersion: string | null;
  rolloutPercent: number;
  paused: boolean;
  allowUnsigned: boolean;
}

interface ChannelRow {
  model: string;
  channel: string;
  target_version: string | null;
  previous_version: string | null;
  rollout_percent: number;
  paused: number;
  allow_unsigned: number;
}

const toChannel = (row: ChannelRow): Channel => ({
  model: row.model,
  channel: row.channel,
  targetVersion: row.target_version,
  previousVersion: row.previous_version,
  rolloutPercent: Number(row.rollout_percent),
  paused: Number(row.paused) === 1,
  allowUnsigned: Number(row.allow_unsigned) === 1,
});

const CHANNEL_COLUMNS = 'model, channel, target_version, previous_version, rollout_percent, paused, allow_unsigned';
const ALL_CHANNELS = `SELECT ${CHANNEL_COLUMNS} FROM firmware_channels ORDER BY model, channel`;

/** The firmware catalog in the registry database: images (stored on disk by hash), signatures, channels. */
export class FirmwareCatalog {
  /** Channels by model, then name, for each set of rows read. */
  private readonly channelIndexes = new WeakMap<ChannelRow[], Map<string, Map<string, Channel>>>();

  /**
   * `sql` may keep its reads (the catalog changes rarely, and every change is announced);
   * `contactsSql` reads what gateways report, which contacts write behind its back, as it is now.
   */
  constructor(
    private readonly sql: SqlExecutor,
    private readonly contactsSql: SqlExecutor = sql,
  ) {}

  async image(model: string, version: string): Promise<FirmwareImage | undefined> {
    const [row] = await this.sql.all<{ sha256: string; model: string; version: string; size: number | string }>(
      'SELECT sha256, model, version, size FROM firmware_images WHERE model = ? AND version = ?',
      [model, version],
    );
    if (!row) return undefined;
    const signatures = await this.sql.all<{ key_crc: number | string; signature: Buffer }>(
      'SELECT key_crc, signature FROM firmware_signatures WHERE sha256 = ? ORDER BY key_crc',
      [row.sha256],
    );
    return { ...row, size: Number(row.size), signatures: signatures.map((s) => ({ keyCrc: Number(s.key_crc), signature: s.signature })) };
  }

  async images(): Promise<Omit<FirmwareImage, 'signatures'>[]> {
    return (
      await this.sql.all<{ sha256: string; model: string; version: string; size: number | string }>(
        'SELECT sha256, model, version, size FROM firmware_images ORDER BY model, version',
      )
    ).map((row) => ({ ...row, size: Number(row.size) }));
  }

  /**
   * Records an image (already stored under its hash) and its signatures, which belong to the
   * bytes. Adding the same image again only adds signatures; other bytes under a taken model and
   * version are refused: a version never changes.
   */
  async addImage(image: FirmwareImage): Promise<void> {
    await this.sql.transaction(async (tx) => {
      const [existing] = await tx.all<{ sha256: string }>('SELECT sha256 FROM firmware_images WHERE model = ? AND version = ?', [
        image.model,
        image.version,
      ]);
      if (existing && existing.sha256 !== image.sha256) {
        throw new InvalidFirmware(`${image.model} ${image.version} is already another image (${existing.sha256}); versions are immutable`);
      }
      if (!existing) {
        await tx.run('INSERT INTO firmware_images (sha256, model, version, size, created_at) VALUES (?, ?, ?, ?, ?)', [
          image.sha256,
          image.model,
          image.version,
          image.size,
          new Date().toISOString(),
        ]);
      }
      for (const { keyCrc, signature } of image.signatures) {
        await tx.run(
          'INSERT INTO firmware_signatures (sha256, key_crc, signature) VALUES (?, ?, ?) ' +
            'ON CONFLICT (sha256, key_crc) DO UPDATE SET signature = excluded.signature',
          [image.sha256, keyCrc, signature],
        );
      }
    });
  }

  /**
   * Asked on every update-info call. The table is small, so it is read whole; a server's registry
   * returns the same rows until something changes, and the index built over them is kept with them.
   */
  async channel(model: string, channel: string): Promise<Channel | undefined> {
    const rows = await this.sql.all<ChannelRow>(ALL_CHANNELS);
    let index = this.channelIndexes.get(rows);
    if (!index) {
      index = new Map();
      for (const row of rows) index.set(row.model, (index.get(row.model) ?? new Map()).set(row.channel, toChannel(row)));
      this.channelIndexes.set(rows, index);
    }
    return index.get(model)?.get(channel);
  }

  async channels(): Promise<Channel[]> {
    return (await this.sql.all<ChannelRow>(ALL_CHANNELS)).map(toChannel);
  }

  /** Sets a channel's target (rolled out to `percent` of its gateways); the old target becomes the rollback. */
  async rollOut(model: string, channel: string, version: string, percent: number, allowUnsigned?: boolean): Promise<Channel> {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new InvalidFirmware('--percent must be 0 to 100');
    if (!(await this.image(model, version)))
      throw new FirmwareNotFound(`no image ${model} ${version}: add it with "cups firmware add" first`);
    return this.sql.transaction(async (tx) => {
      const [row] = await tx.all<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM firmware_channels WHERE model = ? AND channel = ?`, [
        model,
        channel,
      ]);
      const current = row && toChannel(row);
      const previous =
        current?.targetVersion && current.targetVersion !== version ? current.targetVersion : (current?.previousVersion ?? null);
      await tx.run(
        `INSERT INTO firmware_channels (model, channel, target_version, previous_version, rollout_percent, paused, allow_unsigned, updated_at)
         VALUES (?, ?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT (model, channel) DO UPDATE SET target_version = excluded.target_version, previous_version = excluded.previous_version,
           rollout_percent = excluded.rollout_percent, paused = 0, allow_unsigned = excluded.allow_unsigned, updated_at = excluded.updated_at`,
        [model, channel, version, previous, percent, (allowUnsigned ?? current?.allowUnsigned ?? false) ? 1 : 0, new Date().toISOString()],
      );
      const [updated] = await tx.all<ChannelRow>(`SELECT ${CHANNEL_COLUMNS} FROM firmware_channels WHERE model = ? AND channel = ?`, [
        model,
        channel,
      ]);
      return toChannel(updated!);
    });
  }

  async setPaused(model: string, channel: string, paused: boolean): Promise<void> {
    const changed = await this.sql.run('UPDATE firmware_channels SET paused = ?, updated_at = ? WHERE model = ? AND channel = ?', [
      paused ? 1 : 0,
      new Date().toISOString(),
      model,
      channel,
    ]);
    if (!changed) throw new FirmwareNotFound(`no channel ${channel} for model ${model}`);
  }

  /** Returns the channel to its previous target, for every gateway. */
  async rollBack(model: string, channel: string): Promise<Channel> {
    const current = await this.channel(model, channel);
    if (!current?.previousVersion) throw new FirmwareNotFound(`channel ${channel} of ${model} has no previous version to roll back to`);
    await this.sql.run(
      'UPDATE firmware_channels SET target_version = ?, previous_version = NULL, rollout_percent = 100, paused = 0, updated_at = ? ' +
        'WHERE model = ? AND channel = ?',
      [current.previousVersion, new Date().toISOString(), model, channel],
    );
    return (await this.channel(model, channel))!;
  }

  /** How many gateways last reported each firmware version (their `package`), per model. */
  async reportedVersions(): Promise<{ model: string | null; version: string | null; gateways: number }[]> {
    const rows = await this.contactsSql.all<{ model: string | null; version: string | null; gateways: number | string }>(
      'SELECT last_model AS model, last_package AS version, count(*) AS gateways FROM gateways ' +
        'GROUP BY last_model, last_package ORDER BY last_model, last_package',
    );
    return rows.map((r) => ({ ...r, gateways: Number(r.gateways) }));
  }
}
