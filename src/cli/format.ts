/**
 * Human output of the CLI: plain tables and key/value blocks. Text that came from other people
 * (justifications, notes, paths) is printed through `clean`, so a request cannot move the
 * approver's cursor or rewrite their terminal with escape sequences.
 */

/** Replaces control characters (C0, DEL, C1: escape sequences, carriage returns) with '?'. */
export function clean(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/**
 * Like `clean`, for text of several lines (a body, an upstream's answer): line breaks stay line
 * breaks (CRLF and lone CR become LF) and tabs become two spaces; every other control character
 * is replaced with '?'.
 *
 * @example
 * cleanLines('{\r\n\t"a": 1\u001b[2J\n}') // '{\n  "a": 1?[2J\n}'
 */
export function cleanLines(value: unknown): string {
  const text = value === undefined || value === null ? '' : String(value);
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => clean(line.replace(/\t/g, '  ')))
    .join('\n');
}

/** Shortens a cell to `max` characters with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/**
 * A left-aligned table with a header row; columns are as wide as their widest cell.
 *
 * @example
 * table(['ID', 'STATUS'], [['3f0c', 'approved']]) // "ID    STATUS\n3f0c  approved\n"
 */
export function table(headers: string[], rows: string[][]): string {
  const cells = [headers, ...rows.map((row) => row.map(clean))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n') + '\n';
}

/** Aligned `key: value` lines; undefined values are left out. */
export function fields(pairs: [string, unknown][]): string {
  const present = pairs.filter(([, value]) => value !== undefined);
  const width = Math.max(0, ...present.map(([key]) => key.length));
  return present.map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${clean(value)}`).join('\n') + '\n';
}
