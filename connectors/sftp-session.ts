/**
 * SSH/SFTP plumbing shared by the SFTP source (sftp.ts) and the SFTP destination
 * (sftp-destination.ts): logging in with a pinned host key and a bounded login, and turning ssh2
 * errors into ConnectorErrors that name the setting to fix. Kept in one place so the two
 * connectors cannot drift apart on how they connect or what they tell the user.
 */
import { createHash } from 'node:crypto';
import type { SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { ConnectorError, SftpSpec } from './types';
import { describe, networkCode, withTimeout } from './util';

/** SFTP status codes (draft-ietf-secsh-filexfer-02) that ssh2 passes through as err.code. */
export const SSH_FX_NO_SUCH_FILE = 2;
export const SSH_FX_PERMISSION_DENIED = 3;

/** What the error messages say about the server. */
export interface SftpErrorContext {
  /** `host:port`, as the messages name the server. */
  where: string;
  host: string;
  username: string;
  timeoutMs: number;
  /**
   * Name a server that accepts the login but refuses the SFTP subsystem ('protocol'). Only the
   * source has done so; the destination has always reported it as 'unknown', so it opts out.
   */
  refusedSubsystem?: boolean;
}

/** The error context (built from the same spec) plus what differs between source and destination. */
export interface SftpConnectOptions extends SftpErrorContext {
  /** ssh2-sftp-client's client name (shows in its debug output). */
  name: string;
  /** Where the user sets credentials, for the "no password or private key" message (e.g. "the destination"). */
  credentialsIn: string;
  /** Called when the connection ends or fails outside a call: the caller only forgets it. */
  onDead: (client: SftpClient) => void;
}

export interface SftpSession {
  client: SftpClient;
  sftp: SFTPWrapper;
}

/** `SHA256:<base64 without padding>` of an SSH public key blob, as `ssh-keygen -l` prints it. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts `SHA256:…` or the bare base64, with or without padding; null if it is not a SHA-256 fingerprint. */
export function normalizeFingerprint(value: string): string | null {
  const v = value.trim().replace(/=+$/, '');
  const b64 = v.startsWith('SHA256:') ? v.slice(7) : v;
  return /^[A-Za-z0-9+/]{43}$/.test(b64) ? `SHA256:${b64}` : null;
}

export function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

export function joinRemote(dir: string, name: string): string {
  if (dir === '' || dir === '.') return name;
  return dir.endsWith('/') ? `${dir}${name}` : `${dir}/${name}`;
}

/** The ssh2 connection under ssh2-sftp-client; destroyed when a call times out (its state is unknown). */
export function rawConnection(client: SftpClient): { destroy(): void } | undefined {
  return (client as unknown as { client?: { destroy(): void } }).client;
}

/** The SFTP channel ssh2-sftp-client opened (it keeps it as `sftp` once connected). */
export function sftpChannel(client: SftpClient): SFTPWrapper {
  const channel = (client as unknown as { sftp?: SFTPWrapper }).sftp;
  if (!channel) throw new ConnectorError('protocol', 'SFTP session is not connected', true);
  return channel;
}

/** Logs out, bounded; a logout that hangs cuts the connection instead. */
export async function endSftp(client: SftpClient): Promise<void> {
  try {
    await withTimeout(client.end(), 5_000, () => new ConnectorError('timeout', 'SFTP close timed out', true));
  } catch {
    rawConnection(client)?.destroy();
  }
}

export function isNoSuchFile(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === SSH_FX_NO_SUCH_FILE || code === 'ENOENT' || /No such file/i.test(describe(err));
}

export function isPermissionDenied(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === SSH_FX_PERMISSION_DENIED || code === 'EACCES' || /Permission denied/i.test(describe(err));
}

/** True when the connection itself is gone (so a call on a reused connection may be retried on a fresh one). */
export function isConnectionLoss(err: unknown): boolean {
  const code = networkCode(err) ?? (err as { code?: unknown })?.code;
  return (
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'ERR_NOT_CONNECTED' ||
    /No SFTP connection|Unexpected (end|close)|No response from server|connection closed|Not connected|Channel is not open|socket hang up|ECONNRESET|Connection lost/i.test(describe(err))
  );
}

/**
 * Logs in: password or private key (+ passphrase), optional pinned host key, the whole login
 * bounded by timeoutMs. Failures are ConnectorErrors (see sftpConnectError).
 */
export async function connectSftp(spec: SftpSpec, opts: SftpConnectOptions): Promise<SftpSession> {
  const { timeoutMs, where } = opts;
  if (!spec.password && !spec.privateKey) {
    throw new ConnectorError('auth_failed', `no password or private key for SFTP user ${spec.username}: set one in ${opts.credentialsIn}`, false);
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
  const dead = () => opts.onDead(client);
  const client: SftpClient = new SftpClient(opts.name, { error: dead, end: dead, close: dead });
  const options: SftpClient.ConnectOptions = {
    host: spec.host,
    port: spec.port ?? 22,
    username: spec.username,
    readyTimeout: timeoutMs,
    keepaliveInterval: Math.min(timeoutMs, 15_000),
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
    const sftp = await withTimeout(client.connect(options), timeoutMs + 1_000, () => {
      rawConnection(client)?.destroy();
      return new ConnectorError('timeout', `SFTP server ${where} did not complete login within ${seconds(timeoutMs)}: check host and port (is it an SFTP server?), or raise timeoutMs`, true);
    });
    return { client, sftp };
  } catch (err) {
    rawConnection(client)?.destroy();
    if (seenHostKey) {
      throw new ConnectorError(
        'host_key_mismatch',
        `SFTP host key of ${where} is ${seenHostKey}, not the configured ${expected}: if the partner rotated its host key, confirm the new fingerprint with them and update hostKeyFingerprint`,
        false,
        { cause: err },
      );
    }
    throw sftpConnectError(err, opts);
  }
}

/** Maps a login failure (authentication, key, handshake, network) to a ConnectorError; 'unknown' if none fits. */
export function sftpConnectError(err: unknown, ctx: SftpErrorContext): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const msg = describe(err);
  const { where, username: user } = ctx;
  if (/All configured authentication methods failed/i.test(msg)) {
    return new ConnectorError('auth_failed', `SFTP authentication failed for user ${user} on ${where}: check username/password or private key`, false, { cause: err });
  }
  if (/Cannot parse privateKey|does not contain a \(valid\) private key/i.test(msg)) {
    const detail = /passphrase|decrypt/i.test(msg)
      ? 'the private key could not be decrypted: check the passphrase'
      : 'the private key is not a valid OpenSSH or PEM private key: paste the whole key including its BEGIN/END lines';
    return new ConnectorError('auth_failed', `SFTP authentication failed for user ${user}: ${detail}`, false, { cause: err });
  }
  if (/Timed out while waiting for handshake/i.test(msg) || networkCode(err) === 'ETIMEDOUT') {
    return new ConnectorError('timeout', `SFTP server ${where} did not complete the SSH handshake within ${seconds(ctx.timeoutMs)}: check host and port (is it an SFTP server?), or raise timeoutMs`, true, { cause: err });
  }
  if (/Handshake failed|no matching/i.test(msg)) {
    return new ConnectorError('protocol', `SSH handshake with ${where} failed (${msg}): the server offers no key exchange, cipher or host key algorithm we support`, false, { cause: err });
  }
  const network = sftpNetworkError(err, ctx, 'connecting');
  if (network) return network;
  if (ctx.refusedSubsystem && /subsystem|sftp/i.test(msg) && /fail|denied|refused/i.test(msg)) {
    return new ConnectorError('protocol', `${where} accepted the login but refused the SFTP subsystem (${msg}): ask the partner to enable SFTP for user ${user}`, false, { cause: err });
  }
  return new ConnectorError('unknown', `SFTP connection to ${where} failed: ${msg}`, false, { cause: err });
}

/** Maps an unreachable host or a lost connection to a ConnectorError; undefined if err is neither. `during` says what we were doing. */
export function sftpNetworkError(err: unknown, ctx: SftpErrorContext, during: string): ConnectorError | undefined {
  const msg = describe(err);
  const code = networkCode(err);
  const { where } = ctx;
  if (code === 'ECONNREFUSED' || /refused connection/i.test(msg)) {
    return new ConnectorError('host_unreachable', `cannot reach SFTP server ${where} (connection refused): check host and port, and that the partner allows our IP address`, true, { cause: err });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || /Address lookup failed/i.test(msg)) {
    return new ConnectorError('host_unreachable', `SFTP host name ${ctx.host} does not resolve: check the host`, true, { cause: err });
  }
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') {
    return new ConnectorError('host_unreachable', `cannot reach SFTP server ${where} (${String(code)}): check host and network access`, true, { cause: err });
  }
  if (isConnectionLoss(err)) {
    return new ConnectorError('host_unreachable', `the connection to SFTP server ${where} was lost while ${during} (${msg}); the next run retries`, true, { cause: err });
  }
  return undefined;
}

/**
 * The last resort for a failed remote call, once the caller has ruled out its own cases (missing
 * file, permission): a network or login error if it is one, else 'unknown' naming what failed.
 */
export function sftpCallError(err: unknown, ctx: SftpErrorContext, during: string): ConnectorError {
  const network = sftpNetworkError(err, ctx, during);
  if (network) return network;
  const connect = sftpConnectError(err, ctx);
  if (connect.reason !== 'unknown') return connect;
  return new ConnectorError('unknown', `SFTP error on ${ctx.where} while ${during}: ${describe(err)}`, false, { cause: err });
}

/** A remote call that got no answer within timeoutMs. */
export function sftpTimeoutError(ctx: SftpErrorContext, op: string, path: string): ConnectorError {
  return new ConnectorError(
    'timeout',
    `SFTP server ${ctx.where} did not answer ${op} ${path} within ${seconds(ctx.timeoutMs)}: the server is overloaded or the network is dropping packets; raise timeoutMs if it is just slow`,
    true,
  );
}
