/** Rows per statement: a few fixed sizes keep the prepared statements few. */
const BATCH_SIZES = [1000, 100, 10, 1];

/**
 * Runs rows through statements of fixed sizes, largest first (1,234 rows: 1 of 1,000, 2 of 100,
 * 3 of 10 and 4 of 1): one call per statement, and at most four statements prepared.
 * `statement(size)` is the SQL for `size` rows; each row's values go in order.
 */
export async function inFixedBatches(
  rows: readonly (readonly unknown[])[],
  statement: (size: number) => string,
  run: (sql: string, params: unknown[]) => Promise<unknown>,
): Promise<void> {
  let texts = written.get(statement);
  if (!texts) written.set(statement, (texts = new Map()));
  let start = 0;
  for (const size of BATCH_SIZES) {
    for (; rows.length - start >= size; start += size) {
      let sql = texts.get(size);
      if (!sql) texts.set(size, (sql = statement(size)));
      await run(sql, rows.slice(start, start + size).flat());
    }
  }
}

/** The SQL each statement function wrote, by size: written once. */
const written = new WeakMap<(size: number) => string, Map<number, string>>();

/** `(?, ?, …), (…)`: `size` rows of `columns` placeholders. */
export const placeholderRows = (size: number, columns: number) =>
  Array(size)
    .fill(`(${Array(columns).fill('?').join(', ')})`)
    .join(', ');
