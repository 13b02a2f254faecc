/** A Markdown table row. */
export const row = (...cells: (string | number)[]) => `| ${cells.join(' | ')} |`;

/** A Markdown table's head: its header row and the separator. */
export const head = (...cells: string[]) => [row(...cells), `|${'---|'.repeat(cells.length)}`];
