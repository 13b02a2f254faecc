const MINUTE_MS = 60_000;
const WINDOW_MINUTES = 60;

/**
 * The refusals of the last hour by code, on this instance: one count per code and minute, for the
 * last 60 minutes (bounded: codes are the service's own).
 */
export class RecentRefusals {
  /** minute (ms since the epoch / 60 000) → code → count */
  private readonly minutes = new Map<number, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  add(code: string): void {
    const minute = Math.floor(this.now() / MINUTE_MS);
    let counts = this.minutes.get(minute);
    if (!counts) {
      this.minutes.set(minute, (counts = new Map()));
      for (const old of this.minutes.keys()) if (old <= minute - WINDOW_MINUTES) this.minutes.delete(old);
    }
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }

  /** Refusals by code over the last hour, the most frequent first. */
  lastHour(): { code: string; count: number }[] {
    const first = Math.floor(this.now() / MINUTE_MS) - WINDOW_MINUTES + 1;
    const totals = new Map<string, number>();
    for (const [minute, counts] of this.minutes) {
      if (minute < first) continue;
      for (const [code, count] of counts) totals.set(code, (totals.get(code) ?? 0) + count);
    }
    return [...totals].map(([code, count]) => ({ code, count })).sort((a, b) => b.count - a.count || a.code.localeCompare(b.code));
  }
}
