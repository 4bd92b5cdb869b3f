/**
 * The upload pipeline shared by customer files (고객파일, ADIDs) and friend groups (친구그룹, phone
 * numbers or app user ids): one CSV file of identifiers in, the "de-identification" (비식별 코드화)
 * result out: received / succeeded / failed / duplicate counts, the distinct identity nodes and the
 * failed rows (downloadable). The upload is then saved once as a target, or purged after 24 hours.
 *
 * The file is streamed, never held whole: request → byte limit (200 MB) → encoding (UTF-8 with or
 * without BOM, or Korean Excel's EUC-KR/CP949, sniffed or declared) → header check (which column
 * holds the identifiers: upload-header.ts) → the ingestion record reader (that column, the
 * identifier's normaliser; other columns ignored) → COPY into a temporary staging table →
 * set-based inserts of the distinct nodes and the failures. All of it runs in ONE transaction: an
 * upload that fails (too large, unreadable, header wrong) leaves nothing behind.
 */
import { Slots, streamSlots } from '../core/slots';
import { isUtf8 } from 'node:buffer';
import { Readable, Transform, TransformCallback } from 'node:stream';
import * as iconv from 'iconv-lite';
import { copyIn } from '../core/copy';
import type { Db, Queryable, Tx } from '../core/db';
import type { Clock } from '../core/clock';
import { CdpError, Conflict, NotFound, PayloadTooLarge, ruleError, UnprocessableRequest } from '../core/errors';
import { newId } from '../core/ids';
import type { Caller } from '../core/types';
import type { SqlFragment } from '../universe/service';
import { ColumnType, copyTextLine, CopyLineBatcher } from '../ingestion/copy-format';
import { FileError, readRecords } from '../ingestion/records';
import { CheckedFile, checkHeader, HeaderSpec } from './upload-header';

/** Kakao: "한 고객파일의 최대 업로드 용량은 200M" (friend group files too). */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
/** An upload that is not saved as a target within this time is purged. */
export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;
export const UPLOAD_PURGE_JOB = 'targets.uploads.purge';
/** Bytes after the first non-ASCII byte looked at to tell UTF-8 from CP949. */
const SNIFF_BYTES = 4096;
/** From this many distinct identifiers an upload refreshes the entries' statistics (see load). */
export const ANALYZE_ENTRIES = 20_000;

export const UPLOAD_ENCODINGS = ['auto', 'utf-8', 'euc-kr', 'cp949'] as const;
export type UploadEncoding = (typeof UPLOAD_ENCODINGS)[number];
export type UploadKind = 'customer_file' | 'friend_group';

/** What differs between the kinds of upload (the header spec: which column names are accepted). */
export interface UploadSpec extends HeaderSpec {
  kind: UploadKind;
  /** Stored as target_uploads.identifier_type: ADID, PHONE_NUMBER, APP_USER_ID. */
  identifierType: string;
  /** `adid`, `phone`, `app_user_id`: the universe node kind of the normalised values. */
  nodeKind: string;
  /** Stored with the upload (e.g. the friend group's channel). */
  options?: Record<string, unknown>;
}

export interface UploadInput {
  body: Readable;
  /** The request's Content-Length, when it sent one. */
  contentLength?: number;
  encoding?: UploadEncoding;
  fileName?: string;
}

export interface UploadRow {
  id: string;
  ad_account_id: string;
  kind: UploadKind;
  identifier_type: string;
  options: Record<string, unknown>;
  status: 'uploading' | 'ready' | 'failed' | 'saved';
  file_name: string | null;
  encoding: string | null;
  bytes: string;
  received: string;
  succeeded: string;
  failed: string;
  duplicates: string;
  error: string | null;
  target_id: string | null;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface UploadCounts {
  /** Data rows in the file (header and blank lines excluded). */
  received: number;
  /** Distinct valid identifiers: what the target is made of. */
  succeeded: number;
  /** Rows whose value is not a valid identifier (downloadable with the reason). */
  failed: number;
  /** Valid rows whose identifier already appeared earlier in the file. */
  duplicates: number;
}

export interface UploadView {
  id: string;
  /** ready: counted, can be saved; saved: a target was made of it. */
  status: 'ready' | 'saved';
  identifierType: string;
  fileName: string | null;
  /** The encoding the file was read with: utf-8 or cp949 (EUC-KR is a subset of CP949). */
  encoding: string;
  bytes: number;
  /** The column the identifiers were read from, as written; null when the file had no header. */
  column: string | null;
  /** The file's other columns (as written, in file order): not read. */
  ignoredColumns: string[];
  counts: UploadCounts;
  failuresUrl: string;
  targetId: string | null;
  /** Unsaved uploads are purged at this time. */
  expiresAt: string | null;
  createdAt: string;
}

export function toCounts(row: UploadRow): UploadCounts {
  return { received: Number(row.received), succeeded: Number(row.succeeded), failed: Number(row.failed), duplicates: Number(row.duplicates) };
}

export function toUploadView(row: UploadRow, failuresUrl: string): UploadView {
  return {
    id: row.id,
    status: row.status === 'saved' ? 'saved' : 'ready',
    identifierType: row.identifier_type,
    fileName: row.file_name,
    encoding: row.encoding ?? 'utf-8',
    bytes: Number(row.bytes),
    column: typeof row.options.column === 'string' ? row.options.column : null,
    ignoredColumns: Array.isArray(row.options.ignoredColumns) ? (row.options.ignoredColumns as string[]) : [],
    counts: toCounts(row),
    failuresUrl,
    targetId: row.target_id,
    expiresAt: row.status === 'saved' ? null : new Date(row.created_at.getTime() + UPLOAD_TTL_MS).toISOString(),
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * A template file: the header and example rows (CRLF, as Excel writes CSV), with a UTF-8 BOM so
 * that Excel reads its Korean memo column as UTF-8 (without one it assumes CP949).
 */
export function templateCsv(header: string, examples: readonly string[]): string {
  return '\ufeff' + [header, ...examples].map((l) => `${l}\r\n`).join('');
}


export class UploadStore {
  private readonly slots: Slots;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {
    // An upload holds a connection for as long as the client sends (shared with batch files).
    this.slots = streamSlots(db);
  }

  /**
   * Reads one uploaded file into a new upload (status ready) and returns it. Whole-file problems
   * answer 413 (over 200 MB) or 422 (wrong header, unreadable CSV) and keep nothing.
   */
  async ingest(caller: Caller, spec: UploadSpec, input: UploadInput): Promise<UploadRow> {
    if (input.contentLength !== undefined && input.contentLength > MAX_UPLOAD_BYTES) throw tooLarge(input.contentLength);
    const limited = input.body.pipe(new ByteLimit(MAX_UPLOAD_BYTES));
    input.body.on('error', (err) => limited.destroy(err));
    // A client that goes away mid-file must not leave the transaction waiting for the rest.
    input.body.on('close', () => {
      if (!input.body.readableEnded) limited.destroy(new Error('the upload was interrupted before the end of the file'));
    });
    const decoder = new Utf8Decoder(input.encoding ?? 'auto');
    const text = limited.pipe(decoder);
    limited.on('error', (err) => text.destroy(err));
    const id = newId('upl');
    const now = this.clock.now();
    await this.slots.acquire();
    try {
      return await this.db.transaction(async (tx) => {
        await tx('target_uploads').insert({
          id,
          ad_account_id: caller.adAccountId,
          kind: spec.kind,
          identifier_type: spec.identifierType,
          options: JSON.stringify(spec.options ?? {}),
          status: 'uploading',
          file_name: input.fileName ?? null,
          created_by: caller.keyId,
          created_at: now,
          updated_at: now,
        });
        const file = await checkHeader(text, spec, input.fileName);
        const counts = await this.load(tx, caller.adAccountId, id, spec, file);
        const [row]: UploadRow[] = await tx('target_uploads')
          .where({ id })
          .update({
            status: 'ready',
            options: JSON.stringify({ ...(spec.options ?? {}), column: file.column, ignoredColumns: file.ignoredColumns }),
            encoding: decoder.used,
            bytes: limited.bytes,
            received: counts.received,
            succeeded: counts.succeeded,
            failed: counts.failed,
            duplicates: counts.duplicates,
            updated_at: now,
          })
          .returning('*');
        return row;
      });
    } catch (err) {
      if (err instanceof FileError) {
        throw new UnprocessableRequest(`${err.message}. Download the template (${spec.templateUrl}) for the expected format`, {
          errors: [{ pointer: '', rule: err.rule, message: err.message }],
          template: spec.templateUrl,
        });
      }
      throw err;
    } finally {
      this.slots.release();
      // Whatever was not read (a refused file) is discarded rather than left in the socket.
      input.body.unpipe(limited);
      if (!input.body.readableEnded) input.body.resume();
    }
  }

  /** The rows of the file → COPY into staging → distinct nodes and failures, set-based. */
  private async load(tx: Tx, adAccountId: string, uploadId: string, spec: UploadSpec, file: CheckedFile): Promise<UploadCounts> {
    await tx.raw(
      // `value` holds the normalised identifier of a valid row (the node without its kind prefix:
      // shorter to send, and in "C" order it sorts on the identifier's own characters), or the raw
      // value of a failed one.
      `create temp table upload_staging (row_number bigint not null, value text collate "C", rule text, message text) on commit drop`,
    );
    const records = readRecords(file.body, {
      format: 'csv',
      compression: 'none',
      columns: [{ path: spec.header, type: 'string', normalize: spec.normalize, required: true }],
      mapping: file.mapping,
      // Rows of empty cells only (`,` — Excel writes them for formatted empty rows) are blank lines.
      skipEmptyRecords: true,
    });
    const emptyCell = `The ${file.column === null ? spec.header : JSON.stringify(file.column)} cell is empty; fill in the ${spec.noun} or delete the row`;
    const kinds: ColumnType[] = ['integer', 'string', 'string', 'string'];
    let received = 0;
    let valid = 0;
    let failed = 0;
    // On the transaction's own connection (knex hands it out again inside the transaction).
    await copyIn(tx, 'copy upload_staging (row_number, value, rule, message) from stdin', async (copy) => {
      const batcher = new CopyLineBatcher();
      for await (const rows of records.batches()) {
        for (const row of rows) {
          received++;
          let line: string;
          if (row.ok) {
            valid++;
            line = copyTextLine([row.row, row.values[0] as string, null, null], kinds);
          } else {
            failed++;
            const e = row.errors[0];
            line = copyTextLine([row.row, clean(e.rawValue), e.rule, e.rule === 'required' ? emptyCell : clean(e.message)], kinds);
          }
          const chunk = batcher.add(line);
          if (chunk) await copy.write(chunk);
        }
      }
      const rest = batcher.flush();
      if (rest) await copy.write(rest);
    });
    // Sorted, so the primary key index is filled in order (far cheaper than random inserts). The
    // sort is by the identifiers in "C" order (byte order, abbreviated keys: several times faster
    // than the database collation's), which is the index's order, or close to it, for identifiers
    // of one kind. A plain insert: the nodes are distinct and the upload is new, so nothing can
    // conflict (ON CONFLICT's speculative insertion cost ~10 %).
    await tx.raw(`set local work_mem = '64MB'`);
    const entries = await tx.raw(
      `insert into target_upload_entries (upload_id, node, ad_account_id)
       select ?, ? || value, ? from upload_staging where rule is null group by value order by value`,
      [uploadId, `${spec.nodeKind}:`, adAccountId],
    );
    await tx.raw(
      `insert into target_upload_failures (upload_id, row_number, value, rule, message, ad_account_id)
       select ?, row_number, value, rule, message, ? from upload_staging where rule is not null`,
      [uploadId, adAccountId],
    );
    const succeeded = entries.rowCount as number;
    // Counting an upload joins its entries to the universe; while the statistics do not know this
    // upload the planner expects a few rows and probes the universe once per entry (a minute at
    // 200 MB) instead of one hash or merge join (seconds). Small uploads plan well either way.
    if (succeeded >= ANALYZE_ENTRIES) await tx.raw(`analyze target_upload_entries`);
    return { received, succeeded, failed, duplicates: valid - succeeded };
  }

  async find(q: Queryable, caller: Caller, kind: UploadKind, id: string, forUpdate = false): Promise<UploadRow> {
    const query = q<UploadRow>('target_uploads').where({ id, ad_account_id: caller.adAccountId, kind }).whereNot({ status: 'uploading' });
    if (forUpdate) query.forUpdate();
    const row = await query.first();
    if (!row || this.expired(row)) throw new NotFound(`Upload ${id} not found (unsaved uploads are kept for 24 hours; upload the file again)`);
    return row;
  }

  /** The upload a saved target was made of. */
  async ofTarget(q: Queryable, targetIds: readonly string[]): Promise<Map<string, UploadRow>> {
    const rows = targetIds.length ? await q<UploadRow>('target_uploads').whereIn('target_id', targetIds) : [];
    return new Map(rows.map((r) => [r.target_id!, r]));
  }

  /**
   * The upload a saved target was made of (in the account), and SQL yielding its identity nodes
   * (`node`, distinct: the entries' primary key) for counting the target's people.
   */
  async savedEntries(q: Queryable, adAccountId: string, targetId: string): Promise<{ upload: UploadRow | undefined; nodes: SqlFragment }> {
    const upload = await q<UploadRow>('target_uploads').where({ target_id: targetId, ad_account_id: adAccountId }).first();
    return { upload, nodes: { sql: `select e.node from target_upload_entries e where e.upload_id = ?`, bindings: [upload?.id ?? null] } };
  }

  /** Deletes the unsaved uploads of a kind made with `options[option] = value` (e.g. for a deleted channel). */
  async discardUnsaved(tx: Tx, caller: Caller, kind: UploadKind, option: string, value: string): Promise<void> {
    await tx('target_uploads').where({ ad_account_id: caller.adAccountId, kind }).whereNot({ status: 'saved' }).whereRaw(`options->>?::text = ?`, [option, value]).delete();
  }

  /**
   * Locks an upload for saving it as a target: it must be the caller's, of this kind, not saved
   * yet and have at least one valid identifier. `pointer` names the request field.
   */
  async claim(tx: Tx, caller: Caller, kind: UploadKind, uploadId: string, pointer: string, what: string): Promise<UploadRow> {
    const row = await tx<UploadRow>('target_uploads').where({ id: uploadId, ad_account_id: caller.adAccountId, kind }).whereNot({ status: 'uploading' }).forUpdate().first();
    if (!row) throw ruleError(pointer, 'exists', `Upload ${uploadId} not found in this ad account; upload the file first`);
    if (row.status === 'saved') throw new Conflict(`Upload ${uploadId} is already saved as ${what} ${row.target_id}; an upload is saved once, upload the file again for another`);
    if (this.expired(row)) throw ruleError(pointer, 'expired', `Upload ${uploadId} is older than 24 hours and was discarded; upload the file again`);
    if (Number(row.succeeded) === 0) {
      throw ruleError(pointer, 'no_valid_rows', `Upload ${uploadId} has no valid identifiers (${row.failed} failed); fix the file (download the failed rows) and upload it again`);
    }
    return row;
  }

  async markSaved(tx: Tx, uploadId: string, targetId: string): Promise<void> {
    await tx('target_uploads').where({ id: uploadId }).update({ status: 'saved', target_id: targetId, updated_at: this.clock.now() });
  }

  /** Failed rows in file order (row, value, rule, message), streamed. */
  async failures(caller: Caller, kind: UploadKind, id: string): Promise<Readable> {
    await this.find(this.db, caller, kind, id);
    return this.db('target_upload_failures').where({ upload_id: id }).orderBy('row_number').select('row_number as row', 'value', 'rule', 'message').stream();
  }

  /** Deletes uploads nobody saved within 24 hours (entries and failures cascade). */
  async purgeExpired(): Promise<number> {
    const cutoff = new Date(this.clock.now().getTime() - UPLOAD_TTL_MS);
    return this.db('target_uploads').whereNot({ status: 'saved' }).where('created_at', '<', cutoff).delete();
  }

  private expired(row: UploadRow): boolean {
    return row.status !== 'saved' && row.created_at.getTime() + UPLOAD_TTL_MS <= this.clock.now().getTime();
  }
}

function clean(v: string | null): string | null {
  // PostgreSQL text cannot hold NUL; show it as \0 instead of failing the upload.
  return v === null ? null : v.replace(/\u0000/g, '\\0');
}

function tooLarge(bytes?: number): CdpError {
  const mb = MAX_UPLOAD_BYTES / (1024 * 1024);
  return new PayloadTooLarge(
    `The file is larger than ${mb} MB${bytes !== undefined ? ` (${bytes} bytes)` : ''}; a file may hold at most ${MAX_UPLOAD_BYTES} bytes (${mb} MB). Split it and upload the parts as separate files`,
    { limit: MAX_UPLOAD_BYTES },
  );
}

/** Fails the stream as soon as more than `max` bytes went through (a chunked body has no length). */
class ByteLimit extends Transform {
  bytes = 0;
  constructor(private readonly max: number) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.max) cb(tooLarge());
    else cb(null, chunk);
  }
}

/**
 * Bytes in any accepted encoding → UTF-8 bytes. `auto` passes ASCII through undecided (it reads the
 * same in both encodings), then looks at the bytes from the first non-ASCII one on: valid UTF-8
 * means UTF-8, anything else is read as CP949, which Korean Excel writes and which contains EUC-KR.
 * A leading UTF-8 BOM is dropped before sniffing, in every mode: some tools put one before CP949
 * text, and it must not be decoded as CP949 into the first column name.
 */
class Utf8Decoder extends Transform {
  private decided: 'utf-8' | 'cp949' | null;
  private decoder: ReturnType<typeof iconv.getDecoder> | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(encoding: UploadEncoding) {
    super();
    this.decided = encoding === 'auto' ? null : encoding === 'utf-8' ? 'utf-8' : 'cp949';
    if (this.decided === 'cp949') this.decoder = iconv.getDecoder('cp949');
  }

  /** The encoding the file was read with (an all-ASCII file is UTF-8). */
  get used(): 'utf-8' | 'cp949' {
    return this.decided ?? 'utf-8';
  }

  /** The first bytes, until there are enough to tell whether they are a BOM. */
  private lead: Buffer | null = Buffer.alloc(0);

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.lead !== null) {
      const lead = Buffer.concat([this.lead, chunk]);
      if (lead.length < 3) {
        this.lead = lead;
        return cb();
      }
      this.lead = null;
      chunk = lead[0] === 0xef && lead[1] === 0xbb && lead[2] === 0xbf ? lead.subarray(3) : lead;
    }
    this.decodeChunk(chunk);
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.lead !== null) this.decodeChunk(this.lead);
    this.lead = null;
    if (this.decided === null && this.pendingBytes > 0) this.decide(true);
    if (this.decoder) {
      const rest = this.decoder.end();
      if (rest) this.push(Buffer.from(rest, 'utf8'));
    }
    cb();
  }

  private decodeChunk(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.decided !== null) return this.emit_(chunk);
    if (this.pendingBytes === 0) {
      let i = 0;
      while (i < chunk.length && chunk[i] < 0x80) i++;
      if (i === chunk.length) {
        this.push(chunk);
        return;
      }
      if (i > 0) this.push(chunk.subarray(0, i));
      chunk = chunk.subarray(i);
    }
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.pendingBytes >= SNIFF_BYTES) this.decide(false);
  }

  private decide(atEnd: boolean): void {
    const bytes = Buffer.concat(this.pending);
    this.pending = [];
    this.pendingBytes = 0;
    // A UTF-8 character may be cut at the end of the window; judge only complete ones.
    this.decided = isUtf8(atEnd ? bytes : bytes.subarray(0, completeUtf8Length(bytes))) ? 'utf-8' : 'cp949';
    if (this.decided === 'cp949') this.decoder = iconv.getDecoder('cp949');
    this.emit_(bytes);
  }

  private emit_(chunk: Buffer): void {
    if (this.decoder) {
      const s = this.decoder.write(chunk);
      if (s) this.push(Buffer.from(s, 'utf8'));
    } else {
      this.push(chunk);
    }
  }
}

/** Length of `b` without a trailing, incomplete UTF-8 sequence. */
function completeUtf8Length(b: Buffer): number {
  for (let back = 1; back <= Math.min(3, b.length); back++) {
    const c = b[b.length - back];
    if ((c & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    return need > back ? b.length - back : b.length;
  }
  return b.length;
}
