/** Quoting for the POSIX shell scripts a bundle carries. */

/** `it's` → `'it'\''s'`: one word to the shell, whatever it holds. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
