/**
 * How client commands write: results to stdout (JSON, pretty on a terminal and one line in a pipe
 * for jq; or aligned `name  value` lines), progress and status to stderr.
 */

export function printJson(value: unknown, out: NodeJS.WriteStream = process.stdout): void {
  out.write(`${out.isTTY ? JSON.stringify(value, null, 2) : JSON.stringify(value)}\n`);
}

/** `name  value` lines, names padded to one column; undefined values are left out. */
export function printFields(rows: [string, string | number | undefined | null][], out: NodeJS.WriteStream = process.stdout): void {
  const shown = rows.filter(([, v]) => v !== undefined && v !== null);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  for (const [k, v] of shown) out.write(`${k.padEnd(width)}  ${v}\n`);
}

export const say = (line: string): void => void process.stderr.write(`${line}\n`);

const units = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Decimal units, as disks and network speeds are quoted. */
export function bytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}

export const count = (n: number): string => n.toLocaleString('en-US');

export function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
