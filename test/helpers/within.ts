/** Polls until `check` holds, failing after `ms`; resolves with how long it took. */
export async function within(ms: number, check: () => boolean | Promise<boolean>, pollMs = 50): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < ms) {
    if (await check()) return Date.now() - start;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`not within ${ms} ms`);
}
