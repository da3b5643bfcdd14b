/** Prints data as JSON (for `--json`) on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A plain aligned table. */
export function printTable(headers: string[], rows: Array<Array<string | number | null | undefined>>): void {
  const cells = rows.map((row) =>
    row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))),
  );
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  printLine(format(headers));
  for (const row of cells) printLine(format(row));
}

export function formatScore(value: number | undefined): string {
  return value === undefined ? '-' : value.toFixed(3);
}

export { jsonColumn } from '@captioner/db';
