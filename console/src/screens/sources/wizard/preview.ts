/**
 * Reading a partner file's header and first rows in the browser (nothing is uploaded), and the
 * name-based suggestion of a field for each column.
 */
import type { Preview } from './draft';

const PREVIEW_BYTES = 64 * 1024;
const PREVIEW_ROWS = 5;

/** One CSV line into cells (RFC 4180 quotes; a line break inside quotes is not expected in a header). */
export function splitCsvLine(line: string, delimiter = ','): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell);
      cell = '';
    } else cell += ch;
  }
  cells.push(cell);
  return cells.map((c) => c.trim());
}

/** Dotted keys of a JSON object (`{a:{b:1}}` → `a.b`). */
function flatKeys(o: Record<string, unknown>, prefix = ''): string[] {
  return Object.entries(o).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? flatKeys(v as Record<string, unknown>, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

export async function readPreview(file: File, format: 'csv' | 'jsonl'): Promise<Preview> {
  const text = (await file.slice(0, PREVIEW_BYTES).text()).replace(/^\uFEFF/, '');
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  // The last line of the slice may be cut short: keep only whole lines when there are more.
  const whole = text.length >= PREVIEW_BYTES ? lines.slice(0, -1) : lines;
  if (format === 'jsonl') {
    const objects = whole.slice(0, PREVIEW_ROWS).map((l) => JSON.parse(l) as Record<string, unknown>);
    const columns = [...new Set(objects.flatMap((o) => flatKeys(o)))];
    const get = (o: Record<string, unknown>, path: string) => path.split('.').reduce<unknown>((n, p) => (n && typeof n === 'object' ? (n as Record<string, unknown>)[p] : undefined), o);
    return { fileName: file.name, columns, rows: objects.map((o) => columns.map((c) => String(get(o, c) ?? ''))) };
  }
  const [header = '', ...rest] = whole;
  return { fileName: file.name, columns: splitCsvLine(header).filter(Boolean), rows: rest.slice(0, PREVIEW_ROWS).map((l) => splitCsvLine(l)) };
}

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9가-힣]/g, '');

/**
 * The field a column most likely fills, by name: the same path, then the same last segment, then
 * a path that ends with the column's name (PID → partnerID is left to the person).
 */
export function suggestField(column: string, paths: string[]): string {
  const c = norm(column);
  if (!c) return '';
  return (
    paths.find((p) => norm(p) === c) ??
    paths.find((p) => norm(p.split('.').pop() ?? '') === c) ??
    paths.find((p) => norm(p).endsWith(c) && c.length >= 3) ??
    ''
  );
}
