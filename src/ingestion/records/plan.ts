/**
 * The plan of one read, compiled once from the options: each column's value kind (as a small
 * number, for the per-cell switch), range and identity normaliser, where each header or JSON key
 * goes (the mapping), and the CSV dialect. Option problems are FileError `format` / `mapping`.
 */
import { MSG } from './messages';
import { ColumnPlan, ColumnType, DEFAULT_MAX_RECORD_BYTES, FileError, FileFormat, ReadOptions } from './types';

/** Value kinds as numbers: the scanners switch on them for every cell. */
export const K_STRING = 0;
export const K_INTEGER = 1;
export const K_NUMBER = 2;
export const K_BOOLEAN = 3;
export const K_DATE = 4;
export const K_DATE_TIME = 5;
export const K_STRING_ARRAY = 6;
export const K_JSON = 7;

const KIND_CODES: Record<ColumnType, number> = {
  string: K_STRING,
  integer: K_INTEGER,
  number: K_NUMBER,
  boolean: K_BOOLEAN,
  date: K_DATE,
  'date-time': K_DATE_TIME,
  'string[]': K_STRING_ARRAY,
  json: K_JSON,
};

export interface Column {
  index: number;
  path: string;
  kind: number;
  normalize: ColumnPlan['normalize'];
  required: boolean;
  min: number;
  max: number;
  /** Message for a value out of range (built once). */
  rangeMessage: string;
  /** Path segments, for the nested record handed to `validate`. */
  segments: string[];
  /** A string column without identity normalisation: the text is the value. */
  plainString: boolean;
}

export interface Plan {
  columns: Column[];
  byPath: Map<string, Column>;
  /** Header / key path → column, or null for "ignore on purpose". */
  sources: Map<string, Column | null>;
  /** Proper prefixes of every JSON key path that leads to a column (for nested objects). */
  prefixes: Set<string>;
  required: Column[];
  validate?: ReadOptions['validate'];
  delimiter: number;
  quote: number;
  /** The multi-value separator, or '' for JSON arrays. */
  separator: string;
  skipEmptyRecords: boolean;
  maxRecordBytes: number;
  fileLabel: string;
}

function singleAsciiChar(value: string | undefined, fallback: string, what: string): number {
  const v = value ?? fallback;
  if (v.length !== 1 || v.charCodeAt(0) > 127) {
    throw new FileError('format', `The ${what} must be exactly one ASCII character (got ${JSON.stringify(v)})`);
  }
  const c = v.charCodeAt(0);
  if (c === 10 || c === 13) throw new FileError('format', `The ${what} cannot be a line break`);
  return c;
}

function rangeMessage(path: string, isInt: boolean, minimum: number | undefined, maximum: number | undefined): string {
  const what = isInt ? 'whole numbers' : 'numbers';
  if (minimum !== undefined && maximum !== undefined) return `Out of range: ${path} takes ${what} from ${minimum} to ${maximum}`;
  if (minimum !== undefined) return `Out of range: ${path} takes ${what} of at least ${minimum}`;
  if (maximum !== undefined) return `Out of range: ${path} takes ${what} of at most ${maximum}`;
  return MSG.safeInteger;
}

export function compilePlan(opts: ReadOptions): Plan {
  if (opts.format !== 'csv' && opts.format !== 'jsonl') {
    throw new FileError('format', `Unknown file format ${JSON.stringify(opts.format)}; use csv or jsonl`);
  }
  const columns: Column[] = [];
  const byPath = new Map<string, Column>();
  opts.columns.forEach((c, index) => {
    const kind = KIND_CODES[c.type];
    if (kind === undefined) throw new Error(`column ${c.path}: unknown type ${String(c.type)}`);
    if (byPath.has(c.path)) throw new Error(`column ${c.path} is planned twice`);
    const isInt = kind === K_INTEGER;
    const min = c.minimum ?? (isInt ? Number.MIN_SAFE_INTEGER : -Infinity);
    const max = c.maximum ?? (isInt ? Number.MAX_SAFE_INTEGER : Infinity);
    const column: Column = {
      index,
      path: c.path,
      kind,
      normalize: c.normalize,
      required: c.required === true,
      min,
      max,
      rangeMessage: rangeMessage(c.path, isInt, c.minimum, c.maximum),
      segments: c.path.split('.'),
      plainString: kind === K_STRING && c.normalize === undefined,
    };
    columns.push(column);
    byPath.set(c.path, column);
  });

  const sources = new Map<string, Column | null>();
  for (const c of columns) sources.set(c.path, c);
  if (opts.mapping) {
    const bad: string[] = [];
    for (const [header, target] of Object.entries(opts.mapping)) {
      if (target === '') {
        sources.set(header, null);
        continue;
      }
      const column = byPath.get(target);
      if (!column) bad.push(`${header} → ${target}`);
      else sources.set(header, column);
    }
    if (bad.length > 0) {
      throw new FileError('mapping', `The mapping sends columns to fields the dataset does not have (${bad.join(', ')}); valid field paths: ${listPaths(columns)}`, {
        invalidMappings: bad,
      });
    }
  }
  const prefixes = new Set<string>();
  for (const key of sources.keys()) {
    for (let i = key.indexOf('.'); i !== -1; i = key.indexOf('.', i + 1)) prefixes.add(key.slice(0, i));
  }
  const isCsv = opts.format === 'csv';
  const maxRecordBytes = opts.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
  if (!(maxRecordBytes > 0)) throw new Error('maxRecordBytes must be positive');
  const delimiter = isCsv ? singleAsciiChar(opts.delimiter, ',', 'delimiter') : 0;
  const quote = isCsv ? singleAsciiChar(opts.quote, '"', 'quote character') : 0;
  if (isCsv && delimiter === quote) throw new FileError('format', 'The delimiter and the quote character must differ');
  const separator = multiValueSeparator(opts, isCsv, delimiter, quote);
  return {
    columns,
    byPath,
    sources,
    prefixes,
    required: columns.filter((c) => c.required),
    validate: opts.validate,
    delimiter,
    quote,
    separator,
    skipEmptyRecords: isCsv && opts.skipEmptyRecords === true,
    maxRecordBytes,
    fileLabel: opts.fileName ? `${opts.fileName}: ` : '',
  };
}

/** Why a multi-value separator is refused (rule and message), or null. The batch service checks it at entry too. */
export function multiValueSeparatorProblem(separator: string, format: FileFormat['format'], delimiter = ',', quote = '"'): { rule: string; message: string } | null {
  if (format !== 'csv') return { rule: 'csv-only', message: 'multiValueSeparator applies to CSV files only (JSON lines arrays are JSON arrays)' };
  if ([...separator].length !== 1) return { rule: 'one-character', message: `multiValueSeparator must be exactly one character (got ${JSON.stringify(separator)})` };
  if (separator === '\n' || separator === '\r') return { rule: 'not-newline', message: 'multiValueSeparator cannot be a line break' };
  if (separator === delimiter) {
    return { rule: 'not-delimiter', message: `multiValueSeparator cannot be the delimiter ${JSON.stringify(delimiter)}: the cell would be cut into columns first; choose another character, e.g. ";" or "|"` };
  }
  if (separator === quote) return { rule: 'not-quote', message: `multiValueSeparator cannot be the quote character ${JSON.stringify(quote)}` };
  return null;
}

function multiValueSeparator(opts: ReadOptions, isCsv: boolean, delimiter: number, quote: number): string {
  const sep = opts.multiValueSeparator;
  if (sep === undefined || sep === '') return '';
  const problem = multiValueSeparatorProblem(sep, isCsv ? 'csv' : 'jsonl', String.fromCharCode(delimiter), String.fromCharCode(quote));
  if (problem) throw new FileError('format', problem.message);
  return sep;
}

export function listPaths(columns: readonly Column[]): string {
  const shown = columns.slice(0, 200).map((c) => c.path);
  return shown.join(', ') + (columns.length > shown.length ? ` … (${columns.length - shown.length} more)` : '');
}
