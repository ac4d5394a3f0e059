/** kubectl's plain tables: upper-case headers, columns padded with three spaces, no borders. */

export const NONE = '<none>';

const GAP = '   ';

/** Columns padded to the widest cell; the last column is not padded, so lines have no trailing blanks. */
export function alignColumns(rows: readonly (readonly string[])[], indent = ''): string {
  const columns = Math.max(0, ...rows.map((row) => row.length));
  const widths = Array.from({ length: columns }, (_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  return rows
    .map((row) => indent + row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join(GAP).trimEnd())
    .map((line) => `${line}\n`)
    .join('');
}

/** A table with upper-case headers; empty cells print as `<none>`. */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => headers.map((_, column) => orNone(row[column])));
  return alignColumns([headers.map((header) => header.toUpperCase()), ...cells]);
}

export function orNone(value: string | undefined): string {
  return value === undefined || value === '' ? NONE : value;
}

/** `a=b,c=d`, sorted by key, as kubectl's `--show-labels`. */
export function labelText(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.map(([key, value]) => `${key}=${value}`).join(',');
}
