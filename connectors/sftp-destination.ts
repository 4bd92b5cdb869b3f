/**
 * SFTP destination writer (LiveRamp's upload folder, or any partner's SFTP). A part is written to
 * `<final>.part` in the destination folder and renamed to its final name on commit, so a reader
 * never sees a partial file under a final name: with posix-rename@openssh.com (OpenSSH offers it)
 * the rename is atomic and replaces an older file of the same name; plain SFTP rename refuses to
 * replace, so commit fails if the final name exists (a retried run checks exists() first). abort()
 * closes and deletes the temp file; a stale temp file of a crashed run is deleted before writing.
 *
 * Writes are pipelined (many WRITE requests in flight, as OpenSSH's sftp does) within a bounded
 * window, and every SFTP call — login, open, each write, close, rename, delete — has a timeout.
 * Errors become ConnectorErrors that name the setting to fix; "no such file" on the folder is a
 * configuration error naming the folder, as in Segment's LiveRamp destination.
 */
import { Writable } from 'node:stream';
import type { SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import type { DestinationPart, DestinationWriter, PublishedFile } from './destination-types';
import {
  connectSftp,
  endSftp,
  isConnectionLoss,
  isNoSuchFile,
  isPermissionDenied,
  joinRemote,
  rawConnection,
  sftpCallError,
  SftpErrorContext,
  SftpSession,
  sftpTimeoutError,
} from './sftp-session';
import { assertFinalName, assertRemotePath } from './remote-path';
import { ConnectionTestResult, ConnectorError, DEFAULT_TIMEOUT_MS, RemoteFile, SftpSpec } from './types';
import { describe, withTimeout } from './util';

/** Suffix of in-progress files; final names may not end with it. */
export const TEMP_SUFFIX = '.part';
export const DEFAULT_SFTP_FOLDER = 'uploads';

export interface SftpDestinationSpec extends SftpSpec {
  /** Folder to publish into, relative to the login directory or absolute; default `uploads` (LiveRamp). */
  folder?: string;
}

export interface SftpDestinationOptions {
  /** Extra rule for final names (e.g. validateLiveRampFileName); throw to refuse a name. */
  validateName?: (finalName: string) => void;
  /** Bytes of WRITE requests in flight per part; default 1 MiB. */
  windowBytes?: number;
}

export function createSftpDestination(spec: SftpDestinationSpec, opts: SftpDestinationOptions = {}): DestinationWriter {
  return new SftpDestination(spec, opts);
}

type Op = 'list' | 'check' | 'open' | 'write' | 'close' | 'rename' | 'delete';
interface Ctx {
  op: Op;
  path: string;
}

/** Runs one callback-style SFTP request as a promise; a synchronous throw (e.g. unsupported extension) rejects. */
function request<T = void>(fn: (cb: (err: Error | undefined | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (err) {
      reject(err);
    }
  });
}

const isUnsupported = (err: unknown) => /does not support this extended request/i.test(describe(err));

class SftpDestination implements DestinationWriter {
  private client: SftpClient | undefined;
  private sftp: SFTPWrapper | undefined;
  private connecting: Promise<SFTPWrapper> | undefined;
  readonly timeoutMs: number;
  readonly where: string;
  readonly folder: string;
  readonly windowBytes: number;
  private readonly open = new Set<SftpPart>();
  private readonly errCtx: SftpErrorContext;

  constructor(
    private readonly spec: SftpDestinationSpec,
    private readonly opts: SftpDestinationOptions,
  ) {
    this.timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.where = `${spec.host}:${spec.port ?? 22}`;
    this.folder = (spec.folder ?? DEFAULT_SFTP_FOLDER).replace(/(.)\/+$/, '$1');
    assertRemotePath(this.folder, 'sftp-folder', 'folder');
    this.windowBytes = Math.max(32 * 1024, opts.windowBytes ?? 1024 * 1024);
    this.errCtx = { where: this.where, host: spec.host, username: spec.username, timeoutMs: this.timeoutMs };
  }

  /** Logs in and lists the folder. Write access is proven by the first export: a probe file could be picked up by the partner. */
  async test(): Promise<ConnectionTestResult> {
    try {
      const entries = await this.call((_, c) => c.list(this.folder), { op: 'list', path: this.folder }, true);
      const sample: RemoteFile[] = entries
        .filter((e) => e.type === '-')
        .sort((a, b) => a.modifyTime - b.modifyTime)
        .slice(-10)
        .map((e) => ({ path: joinRemote(this.folder, e.name), size: e.size, modifiedAt: new Date(e.modifyTime), fingerprint: `${e.size}:${e.modifyTime}` }));
      return { ok: true, detail: `connected to ${this.where} as ${this.spec.username}; ${this.folder} holds ${entries.filter((e) => e.type === '-').length} file(s)`, sample };
    } catch (err) {
      const e = this.asConnectorError(err, { op: 'list', path: this.folder });
      return { ok: false, reason: e.reason, message: e.message };
    }
  }

  async exists(finalName: string): Promise<boolean> {
    this.checkFinalName(finalName);
    const path = joinRemote(this.folder, finalName);
    try {
      await this.call((sftp) => request((cb) => sftp.stat(path, (err) => cb(err))), { op: 'check', path }, true);
      return true;
    } catch (err) {
      if (err instanceof ConnectorError && isNoSuchFile(err.cause)) return false;
      throw err;
    }
  }

  async openPart(finalName: string): Promise<DestinationPart> {
    this.checkFinalName(finalName);
    const finalPath = joinRemote(this.folder, finalName);
    const tempPath = finalPath + TEMP_SUFFIX;
    // A crashed run may have left its temp file; remove it rather than append to or trust it.
    await this.removeIfPresent(tempPath);
    const ctx: Ctx = { op: 'open', path: tempPath };
    // Exclusive create: a concurrent run writing the same name fails here instead of interleaving.
    const { sftp, handle } = await this.call(async (sftp) => ({ sftp, handle: await request<Buffer>((cb) => sftp.open(tempPath, 'wx', cb)) }), ctx, false);
    const part = new SftpPart(this, sftp, handle, finalName, finalPath, tempPath);
    this.open.add(part);
    void part.finished.then(() => this.open.delete(part));
    return part;
  }

  /** Aborts parts still open (their temp files are deleted), then logs out. */
  /** SFTP has no uploads to abort: a killed attempt's `.part` file is overwritten by the retry. */
  async abandon(): Promise<void> {}

  async close(): Promise<void> {
    await Promise.all([...this.open].map((p) => p.abort().catch(() => undefined)));
    const pending = this.connecting;
    this.connecting = undefined;
    await pending?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    this.sftp = undefined;
    if (!client) return;
    await endSftp(client);
  }

  checkFinalName(name: string): void {
    assertFinalName(name);
    if (name.endsWith(TEMP_SUFFIX)) {
      throw new ConnectorError('protocol', `file name ${JSON.stringify(name)} ends with ${TEMP_SUFFIX}, the suffix of files still being written: change the file name template`, false);
    }
    try {
      this.opts.validateName?.(name);
    } catch (err) {
      throw new ConnectorError('protocol', `file name ${JSON.stringify(name)} is refused: ${describe(err)}`, false, { cause: err });
    }
  }

  /** Deletes a file; a file that is not there is fine. */
  async removeIfPresent(path: string): Promise<void> {
    try {
      await this.call((sftp) => request((cb) => sftp.unlink(path, cb)), { op: 'delete', path }, true);
    } catch (err) {
      if (err instanceof ConnectorError && isNoSuchFile(err.cause)) return;
      throw err;
    }
  }

  /**
   * Runs one remote call with a timeout. idempotent calls on a reused connection that turns out
   * dead are retried once on a fresh one; writes and renames never are.
   */
  async call<T>(fn: (sftp: SFTPWrapper, client: SftpClient) => Promise<T>, ctx: Ctx, idempotent: boolean): Promise<T> {
    const attempt = async () => {
      const sftp = await this.connection();
      const client = this.client!;
      try {
        return await withTimeout(fn(sftp, client), this.timeoutMs, () => {
          this.drop(sftp, true);
          return this.timeoutError(ctx);
        });
      } catch (err) {
        if (isConnectionLoss(err)) this.drop(sftp, false);
        throw err;
      }
    };
    const reused = this.sftp !== undefined;
    try {
      return await attempt();
    } catch (err) {
      if (!(idempotent && reused && isConnectionLoss(err))) throw this.asConnectorError(err, ctx);
      try {
        return await attempt();
      } catch (err2) {
        throw this.asConnectorError(err2, ctx);
      }
    }
  }

  isCurrent(sftp: SFTPWrapper): boolean {
    return this.sftp === sftp;
  }

  /** Forgets a connection; destroy=true also cuts it (after a timeout its state is unknown). */
  drop(sftp: SFTPWrapper, destroy: boolean): void {
    if (this.sftp !== sftp) return;
    const client = this.client;
    this.sftp = undefined;
    this.client = undefined;
    if (destroy && client) rawConnection(client)?.destroy();
  }

  private connection(): Promise<SFTPWrapper> {
    if (this.sftp) return Promise.resolve(this.sftp);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<SFTPWrapper> {
    // The connection is forgotten by its sftp handle, which exists only once the login completes.
    let session: SftpSession | undefined;
    session = await connectSftp(this.spec, {
      ...this.errCtx,
      name: 'cdp-destination',
      credentialsIn: 'the destination',
      onDead: () => {
        if (session) this.drop(session.sftp, false);
      },
    });
    this.client = session.client;
    this.sftp = session.sftp;
    return session.sftp;
  }

  asConnectorError(err: unknown, ctx: Ctx): ConnectorError {
    if (err instanceof ConnectorError) return err;
    const cause = { cause: err };
    if (isNoSuchFile(err)) {
      if (ctx.op === 'rename') {
        return new ConnectorError('no_such_folder', `${ctx.path} disappeared before it could be renamed to its final name on ${this.where} (another run or a cleanup job removed it); the next run writes the file again`, true, cause);
      }
      if (ctx.op === 'check' || ctx.op === 'delete') {
        return new ConnectorError('no_such_folder', `no such file ${ctx.path} on ${this.where}`, false, cause);
      }
      // Segment's LiveRamp destination: "no such file" when listing or creating means the folder is wrong.
      return new ConnectorError('no_such_folder', `no such folder ${this.folder} on ${this.where}: check the destination's folder (LiveRamp expects uploads)`, false, cause);
    }
    if (isPermissionDenied(err)) {
      const what = ctx.op === 'list' ? 'list' : ctx.op === 'check' ? 'read' : 'write';
      return new ConnectorError('permission_denied', `SFTP user ${this.spec.username} may not ${what} ${ctx.path} on ${this.where}: ask the partner to grant ${what} access to ${this.folder}, or check the destination's folder`, false, cause);
    }
    const verb = { list: 'listing', check: 'checking', open: 'creating', write: 'writing', close: 'closing', rename: 'renaming', delete: 'deleting' }[ctx.op];
    return sftpCallError(err, this.errCtx, `${verb} ${ctx.path}`);
  }

  timeoutError(ctx: Ctx): ConnectorError {
    return sftpTimeoutError(this.errCtx, ctx.op, ctx.path);
  }
}

type PartState = 'writing' | 'committing' | 'committed' | 'aborted' | 'failed';

class SftpPart implements DestinationPart {
  readonly stream: Writable;
  readonly finished: Promise<void>;
  private settle!: () => void;
  private state: PartState = 'writing';
  private handleOpen = true;
  /** Bytes accepted so far, i.e. the offset of the next WRITE. */
  private position = 0;
  private inFlight = 0;
  private failure: ConnectorError | undefined;
  private waiter: (() => void) | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private aborting: Promise<void> | undefined;
  private readonly chunkSize: number;

  constructor(
    private readonly owner: SftpDestination,
    private readonly sftp: SFTPWrapper,
    private readonly handle: Buffer,
    private readonly name: string,
    private readonly finalPath: string,
    private readonly tempPath: string,
  ) {
    this.finished = new Promise((resolve) => (this.settle = resolve));
    // ssh2 splits larger WRITEs and sends the pieces one after another; we send pieces side by side.
    const maxWrite = (sftp as unknown as { _maxWriteLen?: number })._maxWriteLen;
    this.chunkSize = Math.max(1024, Math.min(32 * 1024, maxWrite ?? 32 * 1024));
    this.stream = new Writable({
      highWaterMark: 256 * 1024,
      write: (chunk: Buffer, _enc, cb) => this.writeChunk(chunk, cb),
      final: (cb) => this.whenDrained(0, cb),
      destroy: (err, cb) => {
        this.clearIdle();
        cb(err);
      },
    });
    // Failures reach the caller through its pipeline (if any) and through commit().
    this.stream.on('error', () => undefined);
  }

  async commit(rows: number): Promise<PublishedFile> {
    if (this.state === 'failed') throw this.failure!;
    if (this.state !== 'writing') throw new ConnectorError('protocol', `${this.tempPath} was already ${this.state}`, false);
    this.state = 'committing';
    try {
      await new Promise<void>((resolve, reject) => {
        if (this.stream.writableFinished) return resolve();
        if (this.stream.destroyed) return reject(this.failure ?? new Error('the part stream was destroyed'));
        this.stream.once('error', reject);
        this.stream.end(() => {
          this.stream.removeListener('error', reject);
          resolve();
        });
      });
      if (this.failure) throw this.failure;
      const ctx = (op: Op, path = this.tempPath): Ctx => ({ op, path });
      const timed = <T>(work: Promise<T>, c: Ctx) =>
        withTimeout(work, this.owner.timeoutMs, () => {
          this.owner.drop(this.sftp, true);
          return this.owner.timeoutError(c);
        }).catch((err: unknown) => {
          throw this.owner.asConnectorError(err, c);
        });
      // Durable before visible, where the server can say so.
      await timed(
        request((cb) => this.sftp.ext_openssh_fsync(this.handle, (err) => cb(err))),
        ctx('close'),
      ).catch((err: ConnectorError) => {
        if (!isUnsupported(err.cause)) throw err;
      });
      this.handleOpen = false;
      await timed(request((cb) => this.sftp.close(this.handle, cb)), ctx('close'));
      // The server must hold exactly what we wrote before the name becomes final.
      const st = await timed(request<{ size: number }>((cb) => this.sftp.stat(this.tempPath, cb)), ctx('check'));
      if (st.size !== this.position) {
        throw new ConnectorError('unknown', `${this.tempPath} on ${this.owner.where} holds ${st.size} bytes, not the ${this.position} written: another process wrote to it; the next run writes the file again`, true);
      }
      await this.rename(timed);
      this.state = 'committed';
      this.settle();
      return { name: this.name, path: this.finalPath, rows, bytes: this.position };
    } catch (err) {
      this.state = 'failed';
      this.failure = this.owner.asConnectorError(err, { op: 'write', path: this.tempPath });
      throw this.failure;
    }
  }

  private async rename(timed: <T>(work: Promise<T>, c: Ctx) => Promise<T>): Promise<void> {
    const c: Ctx = { op: 'rename', path: this.tempPath };
    try {
      // Atomic, and replaces an existing file of that name (POSIX rename(2)).
      await timed(
        request((cb) => this.sftp.ext_openssh_rename(this.tempPath, this.finalPath, cb)),
        c,
      );
      return;
    } catch (err) {
      if (!(err instanceof ConnectorError && isUnsupported(err.cause))) throw err;
    }
    try {
      await timed(
        request((cb) => this.sftp.rename(this.tempPath, this.finalPath, cb)),
        c,
      );
    } catch (err) {
      // SFTP v3 rename never replaces; say so when that is why it failed.
      const exists = await timed(request((cb) => this.sftp.stat(this.finalPath, (err) => cb(err))), { op: 'check', path: this.finalPath }).then(
        () => true,
        () => false,
      );
      if (exists) {
        throw new ConnectorError(
          'unknown',
          `${this.finalPath} already exists on ${this.owner.where}, and this server cannot replace files atomically (no posix-rename): the run skips files that exist; delete it to export it again`,
          false,
          { cause: err },
        );
      }
      throw err;
    }
  }

  abort(): Promise<void> {
    if (this.state === 'committed') return Promise.resolve(); // already published: nothing to drop
    this.aborting ??= this.doAbort();
    return this.aborting;
  }

  private async doAbort(): Promise<void> {
    this.state = 'aborted';
    this.failure ??= new ConnectorError('unknown', `the export of ${this.finalPath} was aborted`, false);
    if (!this.stream.destroyed) this.stream.destroy(this.failure);
    this.release();
    try {
      // A handle on a connection that is gone is gone with it (and a call on it would only time out).
      if (this.handleOpen && this.owner.isCurrent(this.sftp)) {
        this.handleOpen = false;
        await withTimeout(request((cb) => this.sftp.close(this.handle, cb)), this.owner.timeoutMs, () => this.owner.timeoutError({ op: 'close', path: this.tempPath })).catch(
          () => undefined,
        );
      }
      // On a fresh connection if this one is gone; if the server is unreachable the next run's
      // openPart removes the stale temp file.
      await this.owner.removeIfPresent(this.tempPath).catch(() => undefined);
    } finally {
      this.settle();
    }
  }

  // -- pipelined writes -----------------------------------------------------------------------

  private writeChunk(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (this.failure) return cb(this.failure);
    for (let off = 0; off < chunk.length; off += this.chunkSize) {
      const piece = chunk.subarray(off, Math.min(off + this.chunkSize, chunk.length));
      const at = this.position;
      this.position += piece.length;
      this.inFlight += piece.length;
      if (!this.idleTimer) this.armIdle();
      try {
        this.sftp.write(this.handle, piece, 0, piece.length, at, (err) => this.acked(piece.length, err));
      } catch (err) {
        this.acked(piece.length, err as Error);
      }
    }
    // Take the next chunk at once while the window has room: backpressure reaches the caller
    // only when the server falls behind.
    this.whenDrained(this.owner.windowBytes, cb);
  }

  private acked(bytes: number, err: Error | undefined | null): void {
    this.inFlight -= bytes;
    if (err && !this.failure) {
      this.failure = this.owner.asConnectorError(err, { op: 'write', path: this.tempPath });
      if (isConnectionLoss(err)) this.owner.drop(this.sftp, false);
    }
    if (this.inFlight === 0) this.clearIdle();
    else this.armIdle();
    this.release();
  }

  /** Calls cb once at most `limit` bytes are in flight (or a write failed). */
  private whenDrained(limit: number, cb: (err?: Error | null) => void): void {
    const check = () => {
      if (this.failure) {
        this.waiter = undefined;
        cb(this.failure);
      } else if (this.inFlight <= limit) {
        this.waiter = undefined;
        cb();
      } else this.waiter = check;
    };
    check();
  }

  private release(): void {
    const w = this.waiter;
    if (w) w();
  }

  /** Fails the part when the server acknowledges nothing for timeoutMs while writes are outstanding (re-armed by each ack). */
  private armIdle(): void {
    this.clearIdle();
    this.idleTimer = setTimeout(() => {
      if (this.failure || this.inFlight === 0) return;
      this.failure = this.owner.timeoutError({ op: 'write', path: this.tempPath });
      this.owner.drop(this.sftp, true);
      this.release();
    }, this.owner.timeoutMs);
  }

  private clearIdle(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }
}
