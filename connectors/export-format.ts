/**
 * Export formatting for destinations: CSV and JSON Lines encoders (gzip optional — this is the one
 * place exports are compressed; destination writers only move bytes), formula-injection
 * neutralisation, file names from Adobe-style templates, part names for split files, and LiveRamp's
 * file-name and header rules.
 *
 * Glossary: a *cell* is one CSV field; a *part* is one file of an export that was split by row
 * count (`name.csv`, `name_2.csv`, …); a *segment column* is LiveRamp's per-audience column.
 */
import * as stream from 'node:stream';
import { Duplex, Transform } from 'node:stream';
import { createGzip } from 'node:zlib';
import { stringify } from 'csv-stringify';

/** A format rule a name, header or option breaks; rule is a short machine-readable tag. */
export class ExportFormatError extends Error {
  override readonly name = 'ExportFormatError';
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}

/** Adobe's S3 destination splits files at 5M rows (`name_2.csv` …). */
export const S3_MAX_ROWS_PER_FILE = 5_000_000;
/** LiveRamp accepts at most 10M rows per uploaded file. */
export const LIVERAMP_MAX_ROWS_PER_FILE = 10_000_000;
/** Adobe's limit for S3 file names (the whole name, extension included). */
export const MAX_FILE_NAME_LENGTH = 255;
export const LIVERAMP_MAX_FILE_NAME_LENGTH = 250;
export const LIVERAMP_MAX_COLUMN_LENGTH = 128;

// ---------------------------------------------------------------------------------------------
// Formula injection

/**
 * First characters that make spreadsheets evaluate a cell (OWASP "CSV Injection"), plus the
 * full-width forms Apple Numbers normalises to them (as csv-stringify's escape_formulas does).
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
/** A plain decimal number: it cannot carry a formula, and E.164 phones (`+14155550100`) look like this. */
const PLAIN_NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * Prefixes `'` to a string cell a spreadsheet would run as a formula (`=HYPERLINK(…)`, `@SUM(…)`,
 * `-2+3`, a leading tab or CR). Strings that are a plain number (`-12.5`, `+14155550100`) are left
 * alone: they cannot hold a formula, and mangling phone numbers would corrupt identifiers sent to
 * partners. Numbers passed as numbers never reach this function.
 */
export function neutraliseCell(value: string): string {
  if (!FORMULA_START.test(value) || PLAIN_NUMBER.test(value)) return value;
  return `'${value}`;
}

/**
 * Characters that end a line for some reader: LF, VT, FF, CR, NEL, LINE and PARAGRAPH SEPARATOR.
 * copy-export.ts replaces the same code points in SQL.
 */
export const LINE_BREAK_CODE_POINTS: readonly number[] = [0x0a, 0x0b, 0x0c, 0x0d, 0x85, 0x2028, 0x2029];
const LINE_BREAK = new RegExp(`[${LINE_BREAK_CODE_POINTS.map((c) => `\\u${c.toString(16).padStart(4, '0')}`).join('')}]`, 'gu');

/**
 * Each line break becomes a space, for readers that take one record per line whatever the quoting
 * (LiveRamp): a quoted line break would still split the record there.
 */
export function oneLine(value: string): string {
  return value.replace(LINE_BREAK, ' ');
}

// ---------------------------------------------------------------------------------------------
// Encoders

export const CSV_DELIMITERS = [',', '|', ';', '\t', ':'] as const;
export type CsvDelimiter = (typeof CSV_DELIMITERS)[number];

export interface CsvEncoderOptions {
  /** Column order and header names; object rows are read by these exact (flat) keys. */
  columns: string[];
  /** Default `,`. */
  delimiter?: CsvDelimiter;
  /** One character; default `"`. */
  quote?: string;
  /** One character that escapes a quote inside a quoted cell; default: the quote (RFC 4180 `""`). */
  escape?: string;
  /** Written for null and undefined cells; default '' (e.g. 'null' or '\\N'). Never neutralised. */
  nullOutput?: string;
  /** Write the column names as the first line (also in a file with no rows); default true. */
  header?: boolean;
  /** Default '\n'. */
  recordDelimiter?: '\n' | '\r\n';
  /** Line breaks in string cells and column names become spaces (oneLine): one record per line. */
  singleLine?: boolean;
  gzip: boolean;
}

export type ExportRow = Record<string, unknown> | unknown[];

function checkCsvOptions(opts: CsvEncoderOptions): void {
  if (opts.columns.length === 0) throw new ExportFormatError('columns', 'a CSV export needs at least one column');
  const delimiter = opts.delimiter ?? ',';
  if (!CSV_DELIMITERS.includes(delimiter)) {
    throw new ExportFormatError('delimiter', `CSV delimiter ${JSON.stringify(delimiter)} is not supported: use one of , | ; \\t :`);
  }
  for (const [name, value] of [
    ['quote', opts.quote],
    ['escape', opts.escape],
  ] as const) {
    if (value === undefined) continue;
    if ([...value].length !== 1 || value === delimiter || value === '\n' || value === '\r') {
      throw new ExportFormatError(name, `CSV ${name} character ${JSON.stringify(value)} must be exactly one character other than the delimiter and line breaks`);
    }
  }
  if (opts.nullOutput !== undefined && /[\r\n]/.test(opts.nullOutput)) {
    throw new ExportFormatError('nullOutput', 'CSV null output must not contain line breaks');
  }
}

/**
 * Rows (objects keyed by column, or arrays in column order) in, CSV bytes out (gzip when asked).
 * Strings are neutralised against formula injection; numbers and bigints are written as numbers,
 * booleans as true/false, dates as ISO 8601, other objects as JSON; null and undefined as nullOutput.
 * The header is written unchanged.
 */
export function createCsvEncoder(opts: CsvEncoderOptions): Duplex {
  checkCsvOptions(opts);
  const line = opts.singleLine ? oneLine : (v: string) => v;
  const columns = [...opts.columns];
  const nullOutput = opts.nullOutput ?? '';
  const toArray = new Transform({
    writableObjectMode: true,
    readableObjectMode: true,
    transform(row: ExportRow, _enc, cb) {
      if (Array.isArray(row)) return cb(null, row);
      if (row === null || typeof row !== 'object') return cb(new ExportFormatError('row', `an export row must be an object or an array, got ${typeof row}`));
      cb(
        null,
        columns.map((c) => row[c]),
      );
    },
  });
  const csv = stringify({
    columns: columns.map((key) => ({ key, header: line(key) })),
    header: opts.header ?? true,
    delimiter: opts.delimiter ?? ',',
    quote: opts.quote ?? '"',
    escape: opts.escape ?? opts.quote ?? '"',
    record_delimiter: opts.recordDelimiter ?? '\n',
    cast: {
      // context.header: column names are ours (LiveRamp needs them byte-identical across uploads).
      string: (v, context) => (context.header ? v : neutraliseCell(line(v))),
      number: (v) => String(v),
      bigint: (v) => String(v),
      boolean: (v) => (v ? 'true' : 'false'),
      date: (v) => v.toISOString(),
      object: (v) => JSON.stringify(v, jsonReplacer),
      null: () => nullOutput,
      undefined: () => nullOutput,
    },
  });
  return chain([toArray, csv, coalesce(), ...(opts.gzip ? [createGzip()] : [])]);
}

/** Objects in, one JSON document per line out (gzip when asked); bigints become strings. */
export function createJsonLinesEncoder(opts: { gzip: boolean }): Duplex {
  const lines = new Transform({
    writableObjectMode: true,
    transform(row: unknown, _enc, cb) {
      try {
        cb(null, `${JSON.stringify(row, jsonReplacer)}\n`);
      } catch (err) {
        cb(err as Error);
      }
    },
  });
  return chain([lines, coalesce(), ...(opts.gzip ? [createGzip()] : [])]);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Gathers the per-record strings of the encoders into ~64 KiB buffers: zlib handles each write as
 * one deflate call on the thread pool (tiny writes made gzip ~15× slower), and SFTP and S3 writers
 * do better with fewer, larger chunks.
 */
function coalesce(size = 64 * 1024): Transform {
  let pending: Buffer[] = [];
  let length = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      pending.push(chunk);
      length += chunk.length;
      if (length >= size) {
        const out = Buffer.concat(pending, length);
        pending = [];
        length = 0;
        return cb(null, out);
      }
      cb();
    },
    flush(cb) {
      cb(null, length > 0 ? Buffer.concat(pending, length) : undefined);
    },
  });
}

/** One Duplex over a chain of streams: writes go to the first, reads come from the last; errors anywhere destroy it. */
function chain(streams: Duplex[]): Duplex {
  // stream.compose is in Node ≥ 16.9 but missing from @types/node 20.
  return (stream as unknown as { compose(...s: Duplex[]): Duplex }).compose(...streams);
}

// ---------------------------------------------------------------------------------------------
// File names

export const DEFAULT_FILE_NAME_TEMPLATE = '<destination>_segment<audienceId>_<yyyymmddHHMMss>.csv';

export interface FileNameTokens {
  destination: string;
  audienceId: string;
  audienceName?: string;
  destinationInstance?: string;
  customText?: string;
  /** When the export runs; every date token is formatted in UTC. */
  at: Date;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `YYYYMMDDHHMMSS` in UTC. */
export function compactUtc(at: Date): string {
  return `${at.getUTCFullYear()}${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())}${pad(at.getUTCHours())}${pad(at.getUTCMinutes())}${pad(at.getUTCSeconds())}`;
}

/** `YYYYMMDD_HHMMSS` in UTC (LiveRamp's file names, and the `<datetime>` token). */
export function underscoredUtc(at: Date): string {
  const c = compactUtc(at);
  return `${c.slice(0, 8)}_${c.slice(8)}`;
}

/**
 * Makes a text safe as one S3 key segment and SFTP file name: ASCII letters, digits, `.`, `_`,
 * `-` only (accents are dropped, anything else becomes `_`, runs of `_` collapse), no leading `.`.
 */
export function safeNamePart(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^\.+/, '');
}

const TOKEN = /<([A-Za-z]+)>/g;

/**
 * Expands an Adobe-style file-name template. Tokens: `<destination>`, `<audienceId>`,
 * `<audienceName>`, `<destinationInstance>`, `<customText>`, `<yyyymmddHHMMss>` (UTC,
 * `20240102030405`), `<datetime>` (UTC, `20240102_030405`), `<timestamp>` (Unix seconds).
 * Token values are sanitised with safeNamePart, and so is the template's own text.
 * Throws ExportFormatError for an unknown or unset token and for names over 255 characters.
 */
export function fileNameFromTemplate(template: string = DEFAULT_FILE_NAME_TEMPLATE, tokens: FileNameTokens): string {
  if (Number.isNaN(tokens.at.getTime())) throw new ExportFormatError('fileName', 'the export time is not a valid date');
  const expanded = template.replace(TOKEN, (whole, name: string) => {
    let value: string | undefined;
    switch (name) {
      case 'destination':
      case 'audienceId':
      case 'audienceName':
      case 'destinationInstance':
      case 'customText':
        value = tokens[name];
        if (value === undefined || value.trim() === '') {
          throw new ExportFormatError('fileName', `file name template uses ${whole} but the export has no ${name}: set it or remove the token from the template`);
        }
        return value;
      case 'yyyymmddHHMMss':
        return compactUtc(tokens.at);
      case 'datetime':
        return underscoredUtc(tokens.at);
      case 'timestamp':
        return String(Math.floor(tokens.at.getTime() / 1000));
      default:
        throw new ExportFormatError(
          'fileName',
          `unknown token ${whole} in file name template: use <destination>, <audienceId>, <audienceName>, <destinationInstance>, <customText>, <yyyymmddHHMMss>, <datetime> or <timestamp>`,
        );
    }
  });
  const name = safeNamePart(expanded);
  if (name === '' || /^[._-]*$/.test(name)) throw new ExportFormatError('fileName', `file name template ${JSON.stringify(template)} produces an empty file name`);
  checkNameLength(name, MAX_FILE_NAME_LENGTH);
  return name;
}

function checkNameLength(name: string, limit: number): void {
  if (name.length > limit) {
    throw new ExportFormatError('fileName', `file name ${name.slice(0, 40)}… is ${name.length} characters; the limit is ${limit}: shorten the custom text or drop the audience name from the template`);
  }
}

/** `.csv`, `.csv.gz`, `.json.gz`, `.jsonl` … : the last extension, with a preceding one when the last is a compression suffix. */
function splitExtension(name: string): [string, string] {
  const m = /((?:\.[A-Za-z0-9]{1,8})?\.(?:gz|gzip|bz2|zst|pgp|gpg)|\.[A-Za-z0-9]{1,8})$/.exec(name);
  if (!m || m.index === 0) return [name, ''];
  return [name.slice(0, m.index), m[1]!];
}

/**
 * Name of part `index` (1-based) of a split export: part 1 keeps the name, later parts get `_<n>`
 * before the extension (`a.csv` → `a_2.csv`, `a.csv.gz` → `a_2.csv.gz`).
 */
export function partName(name: string, index: number): string {
  if (!Number.isInteger(index) || index < 1) throw new ExportFormatError('part', `part index must be an integer ≥ 1, got ${index}`);
  if (index === 1) return name;
  const [stem, ext] = splitExtension(name);
  const out = `${stem}_${index}${ext}`;
  checkNameLength(out, MAX_FILE_NAME_LENGTH);
  return out;
}

// ---------------------------------------------------------------------------------------------
// LiveRamp

/** A LiveRamp segment cell: member (`active`), no longer a member (`expired`), or never was (empty). */
export type LiveRampMembership = 'active' | 'expired' | '';
export const LIVERAMP_MEMBERSHIP_VALUES: readonly LiveRampMembership[] = ['active', 'expired', ''];

/**
 * `<ORG>_<DESTINATION>_<INSTANCE_ID>_<YYYYMMDD_HHMMSS>.csv` (UTC; `.csv.gz` when gzip). Each part
 * is made safe with safeNamePart (its own `_` stay); the result is checked with validateLiveRampFileName.
 */
export function liveRampFileName(p: { org: string; destination: string; instanceId: string; at: Date; gzip?: boolean }): string {
  if (Number.isNaN(p.at.getTime())) throw new ExportFormatError('fileName', 'the export time is not a valid date');
  for (const key of ['org', 'destination', 'instanceId'] as const) {
    if (safeNamePart(p[key]).replace(/[._-]/g, '') === '') {
      throw new ExportFormatError('fileName', `LiveRamp file name needs a ${key} with at least one ASCII letter or digit, got ${JSON.stringify(p[key])}`);
    }
  }
  const name = `${safeNamePart(p.org)}_${safeNamePart(p.destination)}_${safeNamePart(p.instanceId)}_${underscoredUtc(p.at)}.csv${p.gzip ? '.gz' : ''}`;
  validateLiveRampFileName(name);
  return name;
}

/** LiveRamp's upload rules: printable ASCII, no spaces or slashes, ≤ 250 characters, not starting with `.` or `_`. */
export function validateLiveRampFileName(name: string): void {
  if (name.length === 0) throw new ExportFormatError('liveRampFileName', 'LiveRamp file name is empty');
  if (!/^[\x21-\x7e]+$/.test(name)) {
    throw new ExportFormatError('liveRampFileName', `LiveRamp file name ${JSON.stringify(name)} must be ASCII without spaces or control characters`);
  }
  if (name.includes('/') || name.includes('\\')) {
    throw new ExportFormatError('liveRampFileName', `LiveRamp file name ${JSON.stringify(name)} must not contain / or \\ (files go straight into the upload folder)`);
  }
  if (name.startsWith('.') || name.startsWith('_')) {
    throw new ExportFormatError('liveRampFileName', `LiveRamp file name ${JSON.stringify(name)} must not start with "." or "_": LiveRamp ignores such files`);
  }
  if (name.length > LIVERAMP_MAX_FILE_NAME_LENGTH) {
    throw new ExportFormatError('liveRampFileName', `LiveRamp file name is ${name.length} characters; the limit is ${LIVERAMP_MAX_FILE_NAME_LENGTH}`);
  }
}

/**
 * `<namespace>_<audienceId>`, LiveRamp's column for one audience. Characters outside
 * `[A-Za-z0-9_]` (namespace codes may hold `.` and `-`) become `_`: deterministic, so the header
 * stays identical across uploads. Over 128 characters throws — truncating could make two
 * audiences share a column.
 */
export function liveRampSegmentColumn(namespaceCode: string, audienceId: string): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_]/g, '_');
  if (namespaceCode.trim() === '' || audienceId.trim() === '') {
    throw new ExportFormatError('liveRampColumn', 'LiveRamp segment column needs both a namespace code and an audience id');
  }
  const column = `${clean(namespaceCode)}_${clean(audienceId)}`;
  if (column.length > LIVERAMP_MAX_COLUMN_LENGTH) {
    throw new ExportFormatError(
      'liveRampColumn',
      `LiveRamp segment column ${column.slice(0, 40)}… is ${column.length} characters; the limit is ${LIVERAMP_MAX_COLUMN_LENGTH}: use a shorter namespace code`,
    );
  }
  return column;
}

/**
 * Checks a LiveRamp header: the identifier column first, then segment columns, each
 * `[A-Za-z0-9_]{1,128}`, no duplicates, at least one segment column.
 */
export function validateLiveRampHeader(columns: string[]): void {
  if (columns.length < 2) {
    throw new ExportFormatError('liveRampHeader', 'a LiveRamp file needs an identifier column and at least one segment column');
  }
  const seen = new Set<string>();
  for (const [i, c] of columns.entries()) {
    if (!/^[A-Za-z0-9_]+$/.test(c)) {
      throw new ExportFormatError('liveRampHeader', `LiveRamp column ${i + 1} ${JSON.stringify(c)} may only contain A–Z, a–z, 0–9 and _`);
    }
    if (c.length > LIVERAMP_MAX_COLUMN_LENGTH) {
      throw new ExportFormatError('liveRampHeader', `LiveRamp column ${i + 1} is ${c.length} characters; the limit is ${LIVERAMP_MAX_COLUMN_LENGTH}`);
    }
    if (seen.has(c)) throw new ExportFormatError('liveRampHeader', `LiveRamp column ${JSON.stringify(c)} appears twice`);
    seen.add(c);
  }
}

/** The cell for one audience: member → `active`; was a member → `expired`; otherwise empty. */
export function liveRampMembership(state: 'member' | 'exited' | 'none'): LiveRampMembership {
  return state === 'member' ? 'active' : state === 'exited' ? 'expired' : '';
}
