/**
 * File bytes made by PostgreSQL (pure helpers): an export's rows leave the database as
 * `COPY (…) TO STDOUT (FORMAT csv …)` output, so the service only counts rows, gzips and uploads —
 * no JavaScript per row. What connectors/export-format.ts does per cell is done in SQL here, byte
 * for byte: formula neutralisation, empty cells, JSON lines.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createCsvEncoder, CsvDelimiter, LINE_BREAK_CODE_POINTS } from '../../connectors/export-format';

/**
 * SQL twin of `neutraliseCell`: a text starting with = + - @ tab CR or their full-width forms gets a
 * leading `'`, unless it is a plain decimal number. `ascii()` (the first code point) keeps the
 * common case to one cheap call; the regular expression runs only for those first characters.
 * No `?` in it: knex would read it as a binding.
 */
export function neutralisedSql(expr: string): string {
  return `case when ascii(${expr}) in (61, 43, 45, 64, 9, 13, 65309, 65291, 65293, 65312)
    and ${expr} !~ '^[+-]{0,1}([0-9]+[.]{0,1}[0-9]*|[.][0-9]+)([eE][+-]{0,1}[0-9]+){0,1}$' then '''' || ${expr} else ${expr} end`;
}

/** SQL twin of `oneLine`: each line break code point becomes a space (translate: no pattern to escape). */
export function oneLineSql(expr: string): string {
  const breaks = LINE_BREAK_CODE_POINTS.map((c) => `chr(${c})`).join(' || ');
  return `translate(${expr}, ${breaks}, '${' '.repeat(LINE_BREAK_CODE_POINTS.length)}')`;
}

export interface CsvFileFormat {
  delimiter: string;
  quote: string;
  nullOutput: string;
}

/**
 * The COPY options writing CSV as the encoder would, or null when PostgreSQL cannot (a quote that is
 * not one ASCII byte, a null text holding the delimiter or the quote): those keep the encoder.
 * Values are SQL literals made by `literal` (COPY takes no bind parameters).
 */
export function csvCopyOptions(f: CsvFileFormat, literal: (value: string) => string): string | null {
  const oneByte = (c: string) => c.length === 1 && c.charCodeAt(0) < 0x80 && c !== '\n' && c !== '\r';
  if (!oneByte(f.delimiter) || !oneByte(f.quote) || f.delimiter === f.quote) return null;
  if (/[\r\n]/.test(f.nullOutput) || f.nullOutput.includes(f.delimiter) || f.nullOutput.includes(f.quote)) return null;
  return `format csv, delimiter ${literal(f.delimiter)}, quote ${literal(f.quote)}, null ${literal(f.nullOutput)}`;
}

/**
 * One text column of compact JSON per line, copied so that nothing is quoted or escaped: the
 * quote and delimiter are control bytes, which JSON text never holds raw (it writes \u0001).
 */
export const JSON_LINES_COPY_OPTIONS = `format csv, delimiter E'\\x02', quote E'\\x01', null ''`;

/**
 * A CSV cell of text: line breaks made spaces when `singleLine`, neutralised, and '' written as the
 * null text when that is '' too (as the encoder does; COPY would write `""`).
 */
export function csvCellSql(expr: string, nullOutput: string, singleLine = false): string {
  const cell = neutralisedSql(singleLine ? `(${oneLineSql(expr)})` : expr);
  return nullOutput === '' ? `nullif(${cell}, '')` : cell;
}

/** The cells of one file row in SQL, from the identity, LiveRamp status and attribute expressions. */
export type CellsSql = (identity: string, statuses: string[], attributes: string[]) => string;

/**
 * CSV: identity, attributes (neutralised; one line each with `singleLine`), then LiveRamp's status
 * cells (our own words); JSON lines: one array of the identity and attributes.
 */
export function cellsSql(format: { format: 'csv' | 'jsonl'; nullOutput: string; singleLine?: boolean }): CellsSql {
  if (format.format === 'jsonl') return (identity, _statuses, attributes) => jsonLineSql([identity, ...attributes]);
  const cell = (e: string) => csvCellSql(e, format.nullOutput, format.singleLine);
  return (identity, statuses, attributes) => [cell(identity), ...attributes.map(cell), ...statuses].join(', ');
}

/** `["id","Seoul",null]`, as JSON.stringify writes an array of strings and nulls (array_to_json is compact). */
export function jsonLineSql(exprs: string[]): string {
  return `array_to_json(array[${exprs.map((e) => `(${e})::text`).join(', ')}]::text[])::text`;
}

/** The header line exactly as the CSV encoder writes it. */
export async function csvHeader(columns: string[], f: CsvFileFormat & { singleLine?: boolean }): Promise<Buffer> {
  const out: Buffer[] = [];
  await pipeline(
    createCsvEncoder({ columns, delimiter: f.delimiter as CsvDelimiter, quote: f.quote, nullOutput: f.nullOutput, header: true, singleLine: f.singleLine, gzip: false }).end(),
    new Writable({ write: (chunk: Buffer, _enc, cb) => (out.push(chunk), cb()) }),
  );
  return Buffer.concat(out);
}

/**
 * Finds row ends in COPY CSV output, chunk by chunk: a line feed outside quotes ends a row (quoted
 * values may hold line feeds; a quote inside a quoted value is doubled, so toggling on every quote
 * byte tracks the state exactly). `quote` null: nothing is ever quoted (JSON lines).
 */
export class RowScanner {
  private quoted = false;
  private readonly quote: number;

  constructor(quote: string | null) {
    this.quote = quote === null ? -1 : quote.charCodeAt(0);
  }

  /**
   * Scans `chunk` from `start` over at most `max` complete rows. `end`: where this part's bytes stop
   * — after the `max`-th row, or the chunk's end (a row cut by the chunk's end continues in the next).
   */
  scan(chunk: Buffer, start: number, max: number): { end: number; rows: number } {
    if (max <= 0) return { end: start, rows: 0 };
    const q = this.quote;
    let pos = start;
    let rows = 0;
    let nextQuote = q < 0 ? -1 : chunk.indexOf(q, pos);
    for (;;) {
      if (this.quoted) {
        if (nextQuote < 0) return { end: chunk.length, rows };
        this.quoted = false;
        pos = nextQuote + 1;
        nextQuote = chunk.indexOf(q, pos);
        continue;
      }
      const lf = chunk.indexOf(10, pos);
      if (nextQuote >= 0 && (lf < 0 || nextQuote < lf)) {
        this.quoted = true;
        pos = nextQuote + 1;
        nextQuote = chunk.indexOf(q, pos);
        continue;
      }
      if (lf < 0) return { end: chunk.length, rows };
      rows += 1;
      pos = lf + 1;
      if (rows === max) return { end: pos, rows };
    }
  }
}
