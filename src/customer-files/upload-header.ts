/**
 * The first line of a customer file or friend group file decides which column holds the
 * identifiers. Advertisers export these lists from CRMs, so:
 * - A header may have several columns; exactly one must be an identifier column of the upload's
 *   kind (`adid`, `광고식별자`, `gaid` …, compared ignoring case, spaces, `_` and `-`). The others are
 *   ignored and reported (`ignoredColumns`). Two identifier columns are refused (422 naming them):
 *   which one is meant cannot be guessed.
 * - A file may have no header when it has one column: its first line is then a valid identifier
 *   (what the normaliser accepts) and counts as the first row. A first line that is neither is
 *   refused, so a mistyped header never silently becomes a failed row.
 * - A friend group file of one type may also hold a column of the other type (a phone number and an
 *   app user id per friend): it is ignored like any other; a file with only the other type's
 *   column is refused with the type to choose.
 * The record reader then gets the file with a header of its own: the identifier column under the
 * spec's canonical name, every other column under a placeholder mapped to '' (ignored).
 */
import { Readable } from 'node:stream';
import { CdpError, UnprocessableRequest } from '../core/errors';
import type { IdentityNormalizer } from '../namespaces/identity';

/** The header line may not be longer than this. */
const MAX_HEADER_BYTES = 64 * 1024;

export interface HeaderSpec {
  /** The canonical column name (the reader's field path and the template's header). */
  header: string;
  /** Every accepted name of the identifier column, as shown in messages (the canonical one first). */
  headerNames: readonly string[];
  /** What one value is called in messages: `ADID`, `phone number`. */
  noun: string;
  normalize: IdentityNormalizer;
  templateUrl: string;
  /** Columns of another kind of upload, and what to do instead (friend groups: the other type). */
  otherKind?: { headerNames: readonly string[]; noun: string; advice: string };
}

export interface ColumnChoice {
  /** The identifier column's name as written, or null when the file has no header. */
  column: string | null;
  /** Names of the other columns, as written, in file order. */
  ignoredColumns: string[];
}

export interface CheckedFile extends ColumnChoice {
  /** The file for the record reader: its own header line, then the data rows. */
  body: Readable;
  /** Placeholder header → '' for the ignored columns. */
  mapping: Record<string, string>;
}

/** `Ad-ID`, `ad id`, `AD_ID` and `adid` are one name; Korean names are compared in NFC. */
export function headerKey(name: string): string {
  return name.normalize('NFC').toLowerCase().replace(/[\s_-]+/g, '');
}

/** The fields of a CSV header line (comma, double quotes), unquoted and trimmed. */
export function headerFields(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c !== '"') cur += c;
      else if (line[i + 1] === '"') {
        cur += '"';
        i++;
      } else quoted = false;
    } else if (c === '"' && cur.trim() === '') {
      cur = '';
      quoted = true;
    } else if (c === ',') {
      fields.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  fields.push(cur.trim());
  return fields;
}

/**
 * Reads the first line of UTF-8 text (BOM allowed), decides the identifier column and returns the
 * file for the record reader. Throws 422 for an empty file or a header without exactly one
 * identifier column (and not a headerless one-column file).
 */
export async function checkHeader(text: Readable, spec: HeaderSpec, fileName?: string): Promise<CheckedFile> {
  const it = text[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headBytes = 0;
  let rest: Buffer | null = null;
  let ended = false;
  let choice: ColumnChoice;
  let header: string;
  let firstLine: string | null = null;
  let fields: string[];
  let at = -1;
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) {
        ended = true;
        break;
      }
      const b = r.value as Buffer;
      // The header ends at LF, CRLF or a lone CR (all three are record terminators).
      let nl = 0;
      while (nl < b.length && b[nl] !== 0x0a && b[nl] !== 0x0d) nl++;
      if (nl === b.length) {
        head.push(b);
        headBytes += b.length;
        if (headBytes > MAX_HEADER_BYTES) throw headerError(spec, '(a first line longer than 64 KB)', fileName);
        continue;
      }
      head.push(b.subarray(0, nl));
      // A CRLF split across chunks leaves an LF at the start of the rest: a blank line, skipped.
      rest = b.subarray(b[nl] === 0x0d && b[nl + 1] === 0x0a ? nl + 2 : nl + 1);
      break;
    }
    let line = Buffer.concat(head).toString('utf8');
    if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.trim().length === 0 && ended) throw emptyFile(spec);
    fields = headerFields(line);
    const keys = fields.map(headerKey);
    const accepted = new Set(spec.headerNames.map(headerKey));
    const matches = keys.flatMap((k, i) => (accepted.has(k) ? [i] : []));
    if (matches.length > 1) throw severalColumns(spec, matches.map((i) => fields[i]), fileName);
    if (matches.length === 1) {
      at = matches[0];
      choice = { column: fields[at], ignoredColumns: fields.filter((_, i) => i !== at) };
      header = fields.map((_, i) => (i === at ? spec.header : placeholder(i))).join(',');
    } else if (fields.length === 1 && spec.normalize(fields[0]).ok) {
      choice = { column: null, ignoredColumns: [] };
      header = spec.header;
      firstLine = line;
    } else {
      const other = spec.otherKind && new Set(spec.otherKind.headerNames.map(headerKey));
      const otherAt = other ? keys.findIndex((k) => other.has(k)) : -1;
      throw headerError(spec, JSON.stringify(line.trim()), fileName, otherAt >= 0 ? fields[otherAt] : undefined);
    }
  } catch (err) {
    await it.return?.();
    throw err;
  }
  const mapping = Object.fromEntries(at < 0 ? [] : fields.flatMap((_, i) => (i === at ? [] : [[placeholder(i), '']])));
  async function* body(): AsyncGenerator<Buffer> {
    try {
      yield Buffer.from(`${header}\n`, 'utf8');
      if (firstLine !== null) yield Buffer.from(`${firstLine}\n`, 'utf8');
      if (rest && rest.length > 0) yield rest;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value as Buffer;
      }
    } finally {
      await it.return?.();
    }
  }
  return { ...choice, body: Readable.from(body(), { objectMode: false }), mapping };
}

function placeholder(i: number): string {
  return `_ignored_${i + 1}`;
}

function names(list: readonly string[]): string {
  return list.map((n) => JSON.stringify(n)).join(', ');
}

function emptyFile(spec: HeaderSpec): CdpError {
  return new UnprocessableRequest(`The file is empty; it needs a column "${spec.header}" with one ${spec.noun} per row. Download the template (${spec.templateUrl})`, {
    errors: [{ pointer: '', rule: 'empty', message: `the file is empty; expected a column "${spec.header}"` }],
    template: spec.templateUrl,
  });
}

function headerError(spec: HeaderSpec, found: string, fileName?: string, otherColumn?: string): CdpError {
  const file = fileName ? `${fileName}: ` : '';
  const accepted = names(spec.headerNames);
  const detail =
    otherColumn !== undefined && spec.otherKind
      ? `${file}the header is ${found}: the column ${JSON.stringify(otherColumn)} holds ${spec.otherKind.noun}s, not ${spec.noun}s; ${spec.otherKind.advice} (template: ${spec.templateUrl})`
      : `${file}the header is ${found}, but no column is named for the ${spec.noun}s (${accepted}; any case, other columns are ignored), and the first line is not a ${spec.noun} either (a file without a header has one ${spec.noun} per line). Name the column "${spec.header}" or download the template (${spec.templateUrl})`;
  return new UnprocessableRequest(detail, {
    errors: [{ pointer: '', rule: 'header', message: `expected a column named ${accepted} (or no header and one ${spec.noun} per line), found ${found}` }],
    template: spec.templateUrl,
    expectedHeader: spec.header,
    acceptedHeaders: spec.headerNames,
  });
}

function severalColumns(spec: HeaderSpec, columns: string[], fileName?: string): CdpError {
  const file = fileName ? `${fileName}: ` : '';
  return new UnprocessableRequest(
    `${file}the columns ${names(columns)} all look like ${spec.noun} columns; keep one of them (delete or rename the others, e.g. to "memo") and upload the file again`,
    {
      errors: [{ pointer: '', rule: 'several_id_columns', message: `only one ${spec.noun} column is read; found ${names(columns)}` }],
      template: spec.templateUrl,
      columns,
    },
  );
}
