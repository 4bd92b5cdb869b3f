/**
 * A remote file's first rows, for the dataflow wizard's preview (Adobe's "select data" step): the
 * columns a mapping can use and what the partner wrote in them. Pure: a stream in, a preview out.
 *
 * Bounded whatever the file: at most PREVIEW_BYTES of (decompressed) text are read, then the
 * stream is destroyed; at most PREVIEW_ROWS rows and PREVIEW_COLUMNS columns, each cell cut at
 * PREVIEW_CELL_CHARS. csv-parse reads the CSV here — the ingestion scanner (ingestion/records/)
 * is built for speed against a column plan, which a preview does not have yet.
 */
import { isUtf8 } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import type { FileFormat } from '../ingestion/records';

export const PREVIEW_ROWS = 10;
export const PREVIEW_BYTES = 1024 * 1024;
export const PREVIEW_COLUMNS = 500;
export const PREVIEW_CELL_CHARS = 200;

export interface FilePreview {
  ok: true;
  path: string;
  format: { format: FileFormat['format']; compression: 'gzip' | 'none' };
  columns: string[];
  rows: string[][];
  /** More rows (or columns) exist than are shown. */
  truncated: boolean;
  /** Decompressed bytes read. */
  bytesRead: number;
  /** The bytes read are not valid UTF-8 (ingestion would reject such rows with rule `encoding`). */
  invalidUtf8: boolean;
}

/** A file that cannot be read as the format says. */
export class UnreadableFile extends Error {}

/** The format a file name suggests, as the wizard's picker guesses it. */
export function formatOfName(path: string): FileFormat['format'] {
  return /\.(jsonl|ndjson|json)(\.gz)?$/i.test(path) ? 'jsonl' : 'csv';
}

export async function previewFile(input: Readable, path: string, format: FileFormat): Promise<FilePreview> {
  const { bytes, complete, gzip } = await head(input, format.compression ?? 'auto');
  const invalidUtf8 = !isUtf8(wholeLines(bytes, complete));
  let text = new TextDecoder('utf-8').decode(wholeLines(bytes, complete)).replace(/^\uFEFF/, '');
  if (text.trim() === '') {
    if (bytes.length === 0 || complete) throw new UnreadableFile('the file is empty');
    text = ''; // one record longer than the preview reads
  }
  const table = format.format === 'jsonl' ? jsonLines(text) : csv(text, format);
  const columns = table.columns.slice(0, PREVIEW_COLUMNS);
  const rows = table.rows.slice(0, PREVIEW_ROWS).map((r) => columns.map((_, i) => cut(r[i] ?? '')));
  return {
    ok: true,
    path,
    format: { format: format.format, compression: gzip ? 'gzip' : 'none' },
    columns: columns.map(cut),
    rows,
    truncated: !complete || table.rows.length > PREVIEW_ROWS || table.columns.length > PREVIEW_COLUMNS,
    bytesRead: bytes.length,
    invalidUtf8,
  };
}

/** The first PREVIEW_BYTES of the file, gunzipped when it is (or is declared) gzip. */
async function head(input: Readable, compression: NonNullable<FileFormat['compression']>): Promise<{ bytes: Buffer; complete: boolean; gzip: boolean }> {
  const it = input[Symbol.asyncIterator]();
  try {
    const first = await it.next();
    const chunk = first.done ? Buffer.alloc(0) : Buffer.from(first.value as Buffer);
    const magic = chunk.length >= 2 && chunk[0] === 0x1f && chunk[1] === 0x8b;
    if (compression === 'gzip' && !magic) throw new UnreadableFile('the file is declared gzip but is not gzip-compressed (no 1f 8b header): choose compression none or auto');
    if (compression === 'none' && magic) throw new UnreadableFile('the file is gzip-compressed but declared compression none: choose auto or gzip');
    async function* raw() {
      if (chunk.length) yield chunk;
      if (first.done) return;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value as Buffer;
      }
    }
    const decoded = magic ? Readable.from(raw()).pipe(createGunzip()) : Readable.from(raw());
    const parts: Buffer[] = [];
    let size = 0;
    let complete = true;
    try {
      for await (const part of decoded) {
        parts.push(part as Buffer);
        size += (part as Buffer).length;
        if (size >= PREVIEW_BYTES) {
          complete = false;
          break;
        }
      }
    } catch (err) {
      if ((err as { code?: string }).code?.startsWith('Z_')) throw new UnreadableFile(`the gzip data is damaged (${(err as Error).message})`);
      throw err;
    } finally {
      decoded.destroy();
    }
    return { bytes: Buffer.concat(parts).subarray(0, PREVIEW_BYTES), complete, gzip: magic };
  } finally {
    input.destroy(); // stop the transfer: a preview never reads the rest
  }
}

/** When the read stopped early, the last line may be cut: keep the lines before it. */
function wholeLines(bytes: Buffer, complete: boolean): Buffer {
  if (complete) return bytes;
  const end = bytes.lastIndexOf(0x0a);
  return end < 0 ? Buffer.alloc(0) : bytes.subarray(0, end + 1);
}

function csv(text: string, format: FileFormat): { columns: string[]; rows: string[][] } {
  let records: string[][];
  try {
    records = parse(text, {
      delimiter: format.delimiter ?? ',',
      quote: format.quote ?? '"',
      relax_column_count: true,
      relax_quotes: true, // a quote inside an unquoted field is a character, as ingestion reads it
      skip_empty_lines: true,
      to: PREVIEW_ROWS + 2, // the header, the rows shown, and one to know there are more
    }) as string[][];
  } catch (err) {
    // The cut may fall inside a quoted field that spans lines: show what came before it.
    if ((err as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED') throw new UnreadableFile(`a quoted field is never closed (${(err as Error).message})`);
    throw new UnreadableFile(`not readable as CSV with delimiter ${JSON.stringify(format.delimiter ?? ',')}: ${(err as Error).message}`);
  }
  const [header = [], ...rows] = records;
  return { columns: header.map((h) => h.trim()), rows };
}

function jsonLines(text: string): { columns: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n|\r/);
  const objects: Record<string, unknown>[] = [];
  let more = false;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    if (objects.length === PREVIEW_ROWS) {
      more = true;
      break;
    }
    let value: unknown;
    try {
      value = JSON.parse(lines[i]);
    } catch (err) {
      throw new UnreadableFile(`line ${i + 1} is not JSON (${(err as Error).message})`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UnreadableFile(`line ${i + 1} is not a JSON object: each line holds one record`);
    objects.push(value as Record<string, unknown>);
  }
  let flat: Map<string, string>[];
  try {
    flat = objects.map((o) => flatten(o));
  } catch (err) {
    if (err instanceof RangeError) throw new UnreadableFile('a record is nested too deeply to show'); // JSON.stringify of a deep array
    throw err;
  }
  const columns = [...new Set(flat.flatMap((o) => [...o.keys()]))];
  const rows = flat.map((o) => columns.map((c) => o.get(c) ?? ''));
  return { columns, rows: more ? [...rows, []] : rows };
}

/** Dotted field paths of a record (`{a:{b:1}}` → `a.b` = "1"); arrays and nulls as JSON text. */
function flatten(o: Record<string, unknown>, prefix = '', out = new Map<string, string>(), depth = 0): Map<string, string> {
  if (depth > 32) throw new UnreadableFile(`a record is nested more than 32 levels deep (at ${prefix.slice(0, 100)}…)`);
  for (const [k, v] of Object.entries(o)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v as Record<string, unknown>, `${prefix}${k}.`, out, depth + 1);
    else out.set(`${prefix}${k}`, typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

function cut(s: string): string {
  return s.length > PREVIEW_CELL_CHARS ? `${s.slice(0, PREVIEW_CELL_CHARS - 1)}…` : s;
}
