/**
 * SFTP source connector (ssh2-sftp-client): password or OpenSSH private key (+ passphrase), optional
 * pinned host key, one connection per connector instance reused across calls, every remote call
 * bounded by timeoutMs, reads streamed. Errors become ConnectorErrors that name the setting to fix
 * (Segment's LiveRamp destination does the same for "no such file", SFTP status 2).
 */
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import {
  connectSftp,
  endSftp,
  isConnectionLoss,
  isNoSuchFile,
  isPermissionDenied,
  joinRemote,
  rawConnection,
  seconds,
  sftpCallError,
  sftpChannel,
  SftpErrorContext,
  sftpTimeoutError,
} from './sftp-session';
import { ConnectionTestResult, ConnectorError, DEFAULT_TIMEOUT_MS, RemoteFile, SftpSpec, SourceConnector } from './types';
import { assertRemotePath } from './remote-path';
import { pipelinedReadStream } from './sftp-read';
import { globToRegExp, guardStream, sortFiles, withTimeout } from './util';

// Still exported from here: it was this module's public API before the plumbing moved to sftp-session.ts.
export { sshFingerprint } from './sftp-session';

export function createSftpSource(spec: SftpSpec): SourceConnector {
  return new SftpSource(spec);
}

type PathKind = 'folder' | 'file';

class SftpSource implements SourceConnector {
  private client: SftpClient | undefined;
  private connecting: Promise<SftpClient> | undefined;
  private readonly timeoutMs: number;
  private readonly where: string;
  private readonly errCtx: SftpErrorContext;

  constructor(private readonly spec: SftpSpec) {
    this.timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.where = `${spec.host}:${spec.port ?? 22}`;
    this.errCtx = { where: this.where, host: spec.host, username: spec.username, timeoutMs: this.timeoutMs, refusedSubsystem: true };
  }

  async test(folder: string): Promise<ConnectionTestResult> {
    try {
      const files = await this.list(folder);
      let read = '';
      if (files.length > 0) {
        await this.probe(files[files.length - 1]!);
        read = `; read ${files[files.length - 1]!.path}`;
      }
      return {
        ok: true,
        detail: `connected to ${this.where} as ${this.spec.username}; ${folder} holds ${files.length} file(s)${read}`,
        sample: files.slice(-10),
      };
    } catch (err) {
      const e = this.asConnectorError(err, { op: 'list', path: folder, kind: 'folder' });
      return { ok: false, reason: e.reason, message: e.message };
    }
  }

  async list(folder: string, opts: { pattern?: string; recursive?: boolean } = {}): Promise<RemoteFile[]> {
    assertRemotePath(folder, 'sftp-folder', 'folder');
    if (opts.pattern) assertRemotePath(opts.pattern, 'file-pattern', 'pattern');
    const match = opts.pattern ? globToRegExp(opts.pattern) : undefined;
    const files: RemoteFile[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await this.call((c) => c.list(dir), { op: 'list', path: dir, kind: 'folder' });
      for (const e of entries) {
        if (e.name === '.' || e.name === '..') continue;
        const path = joinRemote(dir, e.name);
        let { type, size, modifyTime } = e;
        if (type === 'l') {
          // Partners sometimes link the latest drop: follow links to files; skip dangling links, and
          // links to folders (recursing through them could loop).
          const st = await this.call((c) => c.stat(path), { op: 'stat', path, kind: 'file' }).catch((err: ConnectorError) => {
            if (err.reason === 'no_such_folder') return undefined;
            throw err;
          });
          if (!st?.isFile) continue;
          type = '-';
          size = st.size;
          modifyTime = st.modifyTime;
        }
        if (type === 'd') {
          if (opts.recursive) await walk(path);
          continue;
        }
        if (type !== '-' || (match && !match.test(e.name))) continue;
        files.push({ path, size, modifiedAt: new Date(modifyTime), fingerprint: `${size}:${modifyTime}` });
      }
    };
    await walk(folder);
    return sortFiles(files);
  }

  async open(file: RemoteFile): Promise<NodeJS.ReadableStream & Readable> {
    const ctx = { op: 'read', path: file.path, kind: 'file' as const };
    return this.withConnection(async (client) => {
      const raw = pipelinedReadStream(sftpChannel(client), file.path);
      // Wait for the remote open so a missing or unreadable file rejects open() itself.
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          raw.once('open', () => {
            raw.removeListener('error', reject);
            resolve();
          });
          raw.once('error', reject);
        }),
        this.timeoutMs,
        () => {
          raw.destroy();
          this.drop(client, true);
          return this.timeoutError('open', file.path);
        },
      );
      return guardStream(raw as unknown as Readable, {
        idleMs: this.timeoutMs,
        mapError: (err) => this.asConnectorError(err, ctx),
        onIdle: () => {
          this.drop(client, true);
          return new ConnectorError('timeout', `SFTP server ${this.where} sent nothing for ${seconds(this.timeoutMs)} while reading ${file.path}: the transfer stalled; the next run retries`, true);
        },
      });
    }, ctx);
  }

  async close(): Promise<void> {
    const pending = this.connecting;
    this.connecting = undefined;
    const client = this.client ?? (await pending?.catch(() => undefined));
    this.client = undefined;
    if (!client) return;
    await endSftp(client);
  }

  /** Reads the first bytes of a file: proves read permission without transferring it. */
  private async probe(file: RemoteFile): Promise<void> {
    const stream = await this.open(file);
    await new Promise<void>((resolve, reject) => {
      stream.once('data', () => resolve());
      stream.once('end', () => resolve());
      stream.once('error', reject);
    });
    stream.destroy();
  }

  /** Runs one remote call with a timeout; a call on a reused connection that turns out dead is retried once on a fresh one. */
  private async call<T>(fn: (c: SftpClient) => Promise<T>, ctx: { op: string; path: string; kind: PathKind }): Promise<T> {
    return this.withConnection(
      (client) =>
        withTimeout(fn(client), this.timeoutMs, () => {
          this.drop(client, true);
          return this.timeoutError(ctx.op, ctx.path);
        }),
      ctx,
    );
  }

  private async withConnection<T>(fn: (c: SftpClient) => Promise<T>, ctx: { op: string; path: string; kind: PathKind }): Promise<T> {
    const reused = this.client !== undefined;
    let client = await this.connection();
    try {
      return await fn(client);
    } catch (err) {
      const e = this.asConnectorError(err, ctx);
      if (!(reused && isConnectionLoss(err))) throw e;
      this.drop(client, true);
      client = await this.connection();
      try {
        return await fn(client);
      } catch (err2) {
        throw this.asConnectorError(err2, ctx);
      }
    }
  }

  private connection(): Promise<SftpClient> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async connect(): Promise<SftpClient> {
    const { client } = await connectSftp(this.spec, {
      ...this.errCtx,
      name: 'cdp-source',
      credentialsIn: 'the source connection',
      onDead: (dead) => this.drop(dead, false),
    });
    this.client = client;
    return client;
  }

  private asConnectorError(err: unknown, ctx: { op: string; path: string; kind: PathKind }): ConnectorError {
    if (err instanceof ConnectorError) return err;
    if (isNoSuchFile(err)) {
      return ctx.kind === 'folder'
        ? new ConnectorError('no_such_folder', `no such folder ${ctx.path} on ${this.where}: check the dataflow's folder`, false, { cause: err })
        : new ConnectorError('no_such_folder', `no such file ${ctx.path} on ${this.where}: it was moved or deleted after it was listed; the next run lists the folder again`, true, { cause: err });
    }
    if (isPermissionDenied(err)) {
      return new ConnectorError('permission_denied', `SFTP user ${this.spec.username} may not ${ctx.op} ${ctx.path} on ${this.where}: ask the partner to grant read access, or check the dataflow's folder`, false, { cause: err });
    }
    const verb = ctx.op === 'read' ? `reading ${ctx.path}` : `${ctx.op === 'list' ? 'listing' : ctx.op} ${ctx.path}`;
    return sftpCallError(err, this.errCtx, verb);
  }

  private timeoutError(op: string, path: string): ConnectorError {
    return sftpTimeoutError(this.errCtx, op, path);
  }

  /** Forgets a connection; destroy=true also cuts it (after a timeout its state is unknown). */
  private drop(client: SftpClient, destroy: boolean): void {
    if (this.client === client) this.client = undefined;
    if (destroy) rawConnection(client)?.destroy();
  }
}
