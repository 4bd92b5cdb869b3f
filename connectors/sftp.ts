/**
 * SFTP source connector (ssh2-sftp-client): password or OpenSSH private key (+ passphrase), optional
 * pinned host key, one connection per connector instance reused across calls, every remote call
 * bounded by timeoutMs, reads streamed. Errors become ConnectorErrors that name the setting to fix
 * (Segment's LiveRamp destination does the same for "no such file", SFTP status 2).
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import { ConnectionTestResult, ConnectorError, DEFAULT_TIMEOUT_MS, RemoteFile, SftpSpec, SourceConnector } from './types';
import { describe, globToRegExp, guardStream, networkCode, sortFiles, withTimeout } from './util';

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that ssh2 passes through as err.code. */
const SSH_FX_NO_SUCH_FILE = 2;
const SSH_FX_PERMISSION_DENIED = 3;

/** `SHA256:<base64 without padding>` of an SSH public key blob, as `ssh-keygen -l` prints it. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

function normalizeFingerprint(value: string): string | null {
  const v = value.trim().replace(/=+$/, '');
  const b64 = v.startsWith('SHA256:') ? v.slice(7) : v;
  return /^[A-Za-z0-9+/]{43}$/.test(b64) ? `SHA256:${b64}` : null;
}

export function createSftpSource(spec: SftpSpec): SourceConnector {
  return new SftpSource(spec);
}

type PathKind = 'folder' | 'file';

/** The ssh2 connection under ssh2-sftp-client; destroyed when a call times out (its state is unknown). */
function rawConnection(client: SftpClient): { destroy(): void } | undefined {
  return (client as unknown as { client?: { destroy(): void } }).client;
}

class SftpSource implements SourceConnector {
  private client: SftpClient | undefined;
  private connecting: Promise<SftpClient> | undefined;
  private readonly timeoutMs: number;
  private readonly where: string;

  constructor(private readonly spec: SftpSpec) {
    this.timeoutMs = spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.where = `${spec.host}:${spec.port ?? 22}`;
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
      const raw = client.createReadStream(file.path);
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
    try {
      await withTimeout(client.end(), 5_000, () => new ConnectorError('timeout', 'SFTP close timed out', true));
    } catch {
      rawConnection(client)?.destroy();
    }
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
    const { spec } = this;
    if (!spec.password && !spec.privateKey) {
      throw new ConnectorError('auth_failed', `no password or private key for SFTP user ${spec.username}: set one in the source connection`, false);
    }
    let expected: string | undefined;
    if (spec.hostKeyFingerprint) {
      const fp = normalizeFingerprint(spec.hostKeyFingerprint);
      if (!fp) {
        throw new ConnectorError(
          'host_key_mismatch',
          `hostKeyFingerprint "${spec.hostKeyFingerprint}" is not a SHA-256 fingerprint: set it to the SHA256:… value printed by ssh-keygen -l -E sha256 -f <host key>.pub`,
          false,
        );
      }
      expected = fp;
    }
    let seenHostKey: string | undefined;
    // The global callbacks fire on errors/ends outside a call; they only mark the connection dead.
    const client: SftpClient = new SftpClient('cdp-source', {
      error: () => this.drop(client, false),
      end: () => this.drop(client, false),
      close: () => this.drop(client, false),
    });
    const options: SftpClient.ConnectOptions = {
      host: spec.host,
      port: spec.port ?? 22,
      username: spec.username,
      readyTimeout: this.timeoutMs,
      keepaliveInterval: Math.min(this.timeoutMs, 15_000),
      keepaliveCountMax: 3,
    };
    if (spec.password) options.password = spec.password;
    if (spec.privateKey) {
      options.privateKey = spec.privateKey;
      if (spec.passphrase) options.passphrase = spec.passphrase;
    }
    if (expected) {
      options.hostVerifier = (key: Buffer) => {
        const fp = sshFingerprint(key);
        if (fp === expected) return true;
        seenHostKey = fp;
        return false;
      };
    }
    try {
      await withTimeout(client.connect(options), this.timeoutMs + 1_000, () => {
        rawConnection(client)?.destroy();
        return new ConnectorError('timeout', `SFTP server ${this.where} did not complete login within ${seconds(this.timeoutMs)}: check host and port (is it an SFTP server?), or raise timeoutMs`, true);
      });
    } catch (err) {
      rawConnection(client)?.destroy();
      if (seenHostKey) {
        throw new ConnectorError(
          'host_key_mismatch',
          `SFTP host key of ${this.where} is ${seenHostKey}, not the configured ${expected}: if the partner rotated its host key, confirm the new fingerprint with them and update hostKeyFingerprint`,
          false,
          { cause: err },
        );
      }
      throw this.connectError(err);
    }
    this.client = client;
    return client;
  }

  private connectError(err: unknown): ConnectorError {
    if (err instanceof ConnectorError) return err;
    const msg = describe(err);
    const code = (err as { code?: unknown })?.code;
    const user = this.spec.username;
    if (/All configured authentication methods failed/i.test(msg)) {
      return new ConnectorError('auth_failed', `SFTP authentication failed for user ${user} on ${this.where}: check username/password or private key`, false, { cause: err });
    }
    if (/Cannot parse privateKey|does not contain a \(valid\) private key/i.test(msg)) {
      const detail = /passphrase|decrypt/i.test(msg)
        ? 'the private key could not be decrypted: check the passphrase'
        : 'the private key is not a valid OpenSSH or PEM private key: paste the whole key including its BEGIN/END lines';
      return new ConnectorError('auth_failed', `SFTP authentication failed for user ${user}: ${detail}`, false, { cause: err });
    }
    if (/Timed out while waiting for handshake/i.test(msg) || networkCode(err) === 'ETIMEDOUT') {
      return new ConnectorError('timeout', `SFTP server ${this.where} did not complete the SSH handshake within ${seconds(this.timeoutMs)}: check host and port (is it an SFTP server?), or raise timeoutMs`, true, { cause: err });
    }
    if (/Handshake failed|no matching/i.test(msg)) {
      return new ConnectorError('protocol', `SSH handshake with ${this.where} failed (${msg}): the server offers no key exchange, cipher or host key algorithm we support`, false, { cause: err });
    }
    const network = this.networkError(err, 'connecting');
    if (network) return network;
    if (/subsystem|sftp/i.test(msg) && /fail|denied|refused/i.test(msg)) {
      return new ConnectorError('protocol', `${this.where} accepted the login but refused the SFTP subsystem (${msg}): ask the partner to enable SFTP for user ${user}`, false, { cause: err });
    }
    return new ConnectorError('unknown', `SFTP connection to ${this.where} failed: ${msg}`, false, { cause: err });
  }

  private networkError(err: unknown, during: string): ConnectorError | undefined {
    const msg = describe(err);
    const code = networkCode(err);
    if (code === 'ECONNREFUSED' || /refused connection/i.test(msg)) {
      return new ConnectorError('host_unreachable', `cannot reach SFTP server ${this.where} (connection refused): check host and port, and that the partner allows our IP address`, true, { cause: err });
    }
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /Address lookup failed/i.test(msg)) {
      return new ConnectorError('host_unreachable', `SFTP host name ${this.spec.host} does not resolve: check the host`, true, { cause: err });
    }
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
      return new ConnectorError('host_unreachable', `cannot reach SFTP server ${this.where} (${String(code)}): check host and network access`, true, { cause: err });
    }
    if (isConnectionLoss(err)) {
      return new ConnectorError('host_unreachable', `the connection to SFTP server ${this.where} was lost while ${during} (${msg}); the next run retries`, true, { cause: err });
    }
    return undefined;
  }

  private asConnectorError(err: unknown, ctx: { op: string; path: string; kind: PathKind }): ConnectorError {
    if (err instanceof ConnectorError) return err;
    const code = (err as { code?: unknown })?.code;
    const msg = describe(err);
    if (code === SSH_FX_NO_SUCH_FILE || code === 'ENOENT' || /No such file/i.test(msg)) {
      return ctx.kind === 'folder'
        ? new ConnectorError('no_such_folder', `no such folder ${ctx.path} on ${this.where}: check the dataflow's folder`, false, { cause: err })
        : new ConnectorError('no_such_folder', `no such file ${ctx.path} on ${this.where}: it was moved or deleted after it was listed; the next run lists the folder again`, true, { cause: err });
    }
    if (code === SSH_FX_PERMISSION_DENIED || code === 'EACCES' || /Permission denied/i.test(msg)) {
      return new ConnectorError('permission_denied', `SFTP user ${this.spec.username} may not ${ctx.op} ${ctx.path} on ${this.where}: ask the partner to grant read access, or check the dataflow's folder`, false, { cause: err });
    }
    const verb = ctx.op === 'read' ? `reading ${ctx.path}` : `${ctx.op === 'list' ? 'listing' : ctx.op} ${ctx.path}`;
    return this.networkError(err, verb) ?? this.connectErrorOrUnknown(err, verb);
  }

  private connectErrorOrUnknown(err: unknown, verb: string): ConnectorError {
    const e = this.connectError(err);
    if (e.reason !== 'unknown') return e;
    return new ConnectorError('unknown', `SFTP error on ${this.where} while ${verb}: ${describe(err)}`, false, { cause: err });
  }

  private timeoutError(op: string, path: string): ConnectorError {
    return new ConnectorError('timeout', `SFTP server ${this.where} did not answer ${op} ${path} within ${seconds(this.timeoutMs)}: the server is overloaded or the network is dropping packets; raise timeoutMs if it is just slow`, true);
  }

  /** Forgets a connection; destroy=true also cuts it (after a timeout its state is unknown). */
  private drop(client: SftpClient, destroy: boolean): void {
    if (this.client === client) this.client = undefined;
    if (destroy) rawConnection(client)?.destroy();
  }
}

function isConnectionLoss(err: unknown): boolean {
  const code = networkCode(err) ?? (err as { code?: unknown })?.code;
  const msg = describe(err);
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ERR_NOT_CONNECTED' ||
    /No SFTP connection|Unexpected (end|close)|No response from server|connection closed|Not connected|Channel is not open|socket hang up|ECONNRESET|Connection lost/i.test(msg)
  );
}

function joinRemote(dir: string, name: string): string {
  if (dir === '' || dir === '.') return name;
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}
