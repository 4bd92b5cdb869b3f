/**
 * An in-process SFTP server for tests, built on ssh2's Server: serves a local directory as "/"
 * (relative paths resolve against "/" too), with password and public-key users, a generated
 * ed25519 host key, and fault hooks to cut or stall a transfer mid-file. Enough of SFTP v3 for
 * ssh2-sftp-client's list/stat/get/createReadStream/put/createWriteStream/mkdir/rename/delete.
 *
 * Also here: a TCP server that accepts and never speaks (timeouts) and a TCP proxy that cuts the
 * connection after N bytes (for servers without fault hooks, such as OpenSSH or s3rver).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Server, utils } from 'ssh2';
import type { Attributes, Connection, FileEntry, ParsedKey, SFTPWrapper } from 'ssh2';
import { freePort } from '../core/ports';

const { OPEN_MODE, STATUS_CODE } = utils.sftp;

/** SSH_FXF_* open flags → open(2) flags (any combination, as OpenSSH's sftp-server accepts). */
function openFlags(pflags: number): number {
  const c = fs.constants;
  let flags = pflags & OPEN_MODE.READ && pflags & OPEN_MODE.WRITE ? c.O_RDWR : pflags & OPEN_MODE.WRITE ? c.O_WRONLY : c.O_RDONLY;
  if (pflags & OPEN_MODE.APPEND) flags |= c.O_APPEND;
  if (pflags & OPEN_MODE.CREAT) flags |= c.O_CREAT;
  if (pflags & OPEN_MODE.TRUNC) flags |= c.O_TRUNC;
  if (pflags & OPEN_MODE.EXCL) flags |= c.O_EXCL;
  return flags;
}

export interface SftpUser {
  username: string;
  password?: string;
  /** OpenSSH public key line (`ssh-ed25519 AAAA… comment`). */
  publicKey?: string;
}

export interface SftpTestUser {
  username: string;
  password: string;
  /** OpenSSH private key, encrypted with passphrase. */
  privateKey: string;
  passphrase: string;
  publicKey: string;
}

export interface SftpFaults {
  /** Cut the TCP connection (no SSH disconnect) when a READ asks for data at or past this offset. */
  dropAfterBytes?: number;
  /** Never answer a READ at or past this offset (the connection stays up). */
  stallAfterBytes?: number;
}

export interface TestSftpServer {
  host: string;
  port: number;
  /** Local directory served as "/". */
  root: string;
  /** The default user: password and (passphrase-protected) key both work. */
  user: SftpTestUser;
  /** `SHA256:…` of the host key, as ssh-keygen -l prints it. */
  hostKeyFingerprint: string;
  /** The host key as an OpenSSH known_hosts line for this host and port (`[127.0.0.1]:port ssh-ed25519 …`). */
  knownHostsLine: string;
  /** Mutable: set before a transfer to inject a fault, reset to {} after. */
  faults: SftpFaults;
  /** Connections currently open. */
  connectionCount(): number;
  stop(): Promise<void>;
}

/** `SHA256:<base64 without padding>` of a public key (line or ParsedKey). */
export function keyFingerprint(publicKey: string | ParsedKey): string {
  const key = typeof publicKey === 'string' ? parseKeyOrThrow(publicKey) : publicKey;
  return `SHA256:${createHash('sha256').update(key.getPublicSSH()).digest('base64').replace(/=+$/, '')}`;
}

function parseKeyOrThrow(data: string, passphrase?: string): ParsedKey {
  const parsed = utils.parseKey(data, passphrase);
  if (parsed instanceof Error) throw parsed;
  return Array.isArray(parsed) ? (parsed[0] as ParsedKey) : parsed;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * An ed25519 key pair ssh2 can read back. ssh2's keygen strips leading zero bytes from the public
 * key, so about 1 pair in 256 is one its own parser rejects ("Malformed OpenSSH … key",
 * mscdex/ssh2#1390, #1513): such a pair is drawn again.
 */
function ed25519Pair(options: { passphrase?: string; cipher?: string; rounds?: number; comment?: string } = {}): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519', options as never);
    if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private, options.passphrase) instanceof Error)) return pair;
  }
}

export function generateUserKey(passphrase?: string): { privateKey: string; publicKey: string } {
  const pair = passphrase ? ed25519Pair({ passphrase, cipher: 'aes256-ctr', rounds: 16, comment: 'cdp-test' }) : ed25519Pair({ comment: 'cdp-test' });
  return { privateKey: pair.private, publicKey: pair.public };
}

export async function startSftpServer(opts: { root?: string; users?: SftpUser[] } = {}): Promise<TestSftpServer> {
  const root = opts.root ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-sftp-'));
  const ownsRoot = !opts.root;
  const hostKey = ed25519Pair();
  const passphrase = 'correct horse';
  const key = generateUserKey(passphrase);
  const user: SftpTestUser = { username: 'partner', password: 'partner-secret', privateKey: key.privateKey, passphrase, publicKey: key.publicKey };
  const users: SftpUser[] = [{ username: user.username, password: user.password, publicKey: user.publicKey }, ...(opts.users ?? [])];
  const faults: SftpFaults = {};
  const clients = new Set<Connection>();

  const server = new Server({ hostKeys: [hostKey.private] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => clients.delete(client));
    client.on('authentication', (ctx) => {
      const u = users.find((x) => x.username === ctx.username);
      if (ctx.method === 'password' && u?.password !== undefined && safeEqual(ctx.password, u.password)) return ctx.accept();
      if (ctx.method === 'publickey' && u?.publicKey) {
        const allowed = parseKeyOrThrow(u.publicKey);
        const allowedBlob = allowed.getPublicSSH();
        if (ctx.key.algo === allowed.type && ctx.key.data.length === allowedBlob.length && timingSafeEqual(ctx.key.data, allowedBlob)) {
          // Without a signature the client only asks whether the key would do.
          if (!ctx.signature || (ctx.blob && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true)) return ctx.accept();
        }
      }
      ctx.reject(['password', 'publickey']);
    });
    client.on('ready', () => {
      client.on('session', (accept) => {
        const session = accept();
        session.on('sftp', (acceptSftp) => serveSftp(acceptSftp(), root, faults, client));
      });
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });

  return {
    host: '127.0.0.1',
    port,
    root,
    user,
    hostKeyFingerprint: keyFingerprint(hostKey.public),
    knownHostsLine: `[127.0.0.1]:${port} ${hostKey.public.trim().split(/\s+/).slice(0, 2).join(' ')}`,
    faults,
    connectionCount: () => clients.size,
    stop: async () => {
      for (const c of clients) cutConnection(c);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownsRoot) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Destroys the TCP socket under an ssh2 server connection: the client sees a reset, not a goodbye. */
function cutConnection(client: Connection): void {
  const sock = (client as unknown as { _sock?: net.Socket })._sock;
  if (sock) sock.destroy();
  else client.end();
}

type Handle = { kind: 'file'; fd: number } | { kind: 'dir'; dir: string; entries: string[] | undefined };

function statusFor(err: NodeJS.ErrnoException): number {
  // Same mapping as OpenSSH's sftp-server (errno_to_portable).
  switch (err.code) {
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EBADF':
    case 'ELOOP':
      return STATUS_CODE.NO_SUCH_FILE;
    case 'EPERM':
    case 'EACCES':
    case 'EFAULT':
      return STATUS_CODE.PERMISSION_DENIED;
    case 'ENAMETOOLONG':
    case 'EINVAL':
      return STATUS_CODE.BAD_MESSAGE;
    case 'ENOSYS':
      return STATUS_CODE.OP_UNSUPPORTED;
    default:
      return STATUS_CODE.FAILURE;
  }
}

function toAttrs(st: fs.Stats): Attributes {
  return { mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, atime: Math.floor(st.atimeMs / 1000), mtime: Math.floor(st.mtimeMs / 1000) };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `ls -l` style line; ssh2-sftp-client reads the type and permissions from it. */
function longname(name: string, st: fs.Stats): string {
  const type = st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.isFile() ? '-' : '?';
  const bits = 'rwxrwxrwx';
  let perms = '';
  for (let i = 0; i < 9; i++) perms += st.mode & (1 << (8 - i)) ? bits[i] : '-';
  const d = st.mtime;
  const when = `${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${type}${perms}    1 ${st.uid} ${st.gid} ${String(st.size).padStart(12)} ${when} ${name}`;
}

function serveSftp(sftp: SFTPWrapper, root: string, faults: SftpFaults, client: Connection): void {
  const handles = new Map<number, Handle>();
  let nextHandle = 1;
  /** SFTP path → local path, confined to root ("/" is root; relative paths start at "/"). */
  const virtual = (p: string) => path.posix.normalize(`/${p}`);
  const local = (p: string) => path.join(root, virtual(p));
  const handleBuf = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n, 0);
    return b;
  };
  const lookup = (h: Buffer): Handle | undefined => (h.length === 4 ? handles.get(h.readUInt32BE(0)) : undefined);
  const fail = (reqid: number, err: unknown) => sftp.status(reqid, statusFor(err as NodeJS.ErrnoException), (err as Error).message);
  const ok = (reqid: number) => sftp.status(reqid, STATUS_CODE.OK);
  const applyAttrs = (target: string | number, attrs: { mode?: number; atime?: number; mtime?: number }) => {
    if (attrs.mode !== undefined) {
      if (typeof target === 'number') fs.fchmodSync(target, attrs.mode & 0o7777);
      else fs.chmodSync(target, attrs.mode & 0o7777);
    }
    if (attrs.atime !== undefined && attrs.mtime !== undefined) {
      if (typeof target === 'number') fs.futimesSync(target, attrs.atime, attrs.mtime);
      else fs.utimesSync(target, attrs.atime, attrs.mtime);
    }
  };

  sftp.on('REALPATH', (reqid, p) => {
    const v = virtual(p);
    sftp.name(reqid, [{ filename: v, longname: v, attrs: {} as Attributes }]);
  });
  const onStat = (follow: boolean) => (reqid: number, p: string) => {
    (follow ? fs.stat : fs.lstat)(local(p), (err, st) => (err ? fail(reqid, err) : sftp.attrs(reqid, toAttrs(st))));
  };
  sftp.on('STAT', onStat(true));
  sftp.on('LSTAT', onStat(false));
  sftp.on('OPEN', (reqid, p, flags, attrs) => {
    const createMode = typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o644;
    fs.open(local(p), openFlags(flags), createMode, (err, fd) => {
      if (err) return fail(reqid, err);
      const n = nextHandle++;
      handles.set(n, { kind: 'file', fd });
      sftp.handle(reqid, handleBuf(n));
    });
  });
  sftp.on('READ', (reqid, h, offset, length) => {
    const handle = lookup(h);
    if (!handle || handle.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    if (faults.dropAfterBytes !== undefined && offset >= faults.dropAfterBytes) return cutConnection(client);
    if (faults.stallAfterBytes !== undefined && offset >= faults.stallAfterBytes) return; // never answers
    const buf = Buffer.allocUnsafe(length);
    fs.read(handle.fd, buf, 0, length, offset, (err, n) => {
      if (err) return fail(reqid, err);
      if (n === 0) return sftp.status(reqid, STATUS_CODE.EOF);
      sftp.data(reqid, buf.subarray(0, n));
    });
  });
  sftp.on('WRITE', (reqid, h, offset, data) => {
    const handle = lookup(h);
    if (!handle || handle.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    fs.write(handle.fd, data, 0, data.length, offset, (err) => (err ? fail(reqid, err) : ok(reqid)));
  });
  sftp.on('FSTAT', (reqid, h) => {
    const handle = lookup(h);
    if (!handle || handle.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    fs.fstat(handle.fd, (err, st) => (err ? fail(reqid, err) : sftp.attrs(reqid, toAttrs(st))));
  });
  sftp.on('FSETSTAT', (reqid, h, attrs) => {
    const handle = lookup(h);
    if (!handle || handle.kind !== 'file') return sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    try {
      applyAttrs(handle.fd, attrs);
      ok(reqid);
    } catch (err) {
      fail(reqid, err);
    }
  });
  sftp.on('SETSTAT', (reqid, p, attrs) => {
    try {
      applyAttrs(local(p), attrs);
      ok(reqid);
    } catch (err) {
      fail(reqid, err);
    }
  });
  sftp.on('CLOSE', (reqid, h) => {
    const handle = lookup(h);
    if (!handle) return sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    handles.delete(h.readUInt32BE(0));
    if (handle.kind === 'dir') return ok(reqid);
    fs.close(handle.fd, (err) => (err ? fail(reqid, err) : ok(reqid)));
  });
  sftp.on('OPENDIR', (reqid, p) => {
    const dir = local(p);
    fs.readdir(dir, (err, names) => {
      if (err) return fail(reqid, err);
      const n = nextHandle++;
      handles.set(n, { kind: 'dir', dir, entries: names.sort() });
      sftp.handle(reqid, handleBuf(n));
    });
  });
  sftp.on('READDIR', (reqid, h) => {
    const handle = lookup(h);
    if (!handle || handle.kind !== 'dir') return sftp.status(reqid, STATUS_CODE.FAILURE, 'bad handle');
    if (!handle.entries || handle.entries.length === 0) {
      handle.entries = undefined;
      return sftp.status(reqid, STATUS_CODE.EOF);
    }
    // Batches of 100 like OpenSSH, so clients must loop until EOF.
    const batch = handle.entries.splice(0, 100);
    const names: FileEntry[] = [];
    for (const name of batch) {
      try {
        const st = fs.lstatSync(path.join(handle.dir, name));
        names.push({ filename: name, longname: longname(name, st), attrs: toAttrs(st) });
      } catch {
        // removed since OPENDIR
      }
    }
    sftp.name(reqid, names);
  });
  sftp.on('MKDIR', (reqid, p, attrs) => {
    fs.mkdir(local(p), { mode: typeof attrs?.mode === 'number' ? attrs.mode & 0o7777 : 0o755 }, (err) => (err ? fail(reqid, err) : ok(reqid)));
  });
  sftp.on('RMDIR', (reqid, p) => fs.rmdir(local(p), (err) => (err ? fail(reqid, err) : ok(reqid))));
  sftp.on('REMOVE', (reqid, p) => fs.unlink(local(p), (err) => (err ? fail(reqid, err) : ok(reqid))));
  sftp.on('RENAME', (reqid, from, to) => {
    // SFTP v3 rename (like OpenSSH's) refuses to replace an existing target.
    if (fs.existsSync(local(to))) return sftp.status(reqid, STATUS_CODE.FAILURE, 'target exists');
    fs.rename(local(from), local(to), (err) => (err ? fail(reqid, err) : ok(reqid)));
  });
  // The client's EOF ends the session, as OpenSSH's sftp-server exits on it: without the close
  // OpenSSH's sftp client waits for ever after its last command.
  sftp.on('end', () => sftp.end());
  sftp.on('close', () => {
    for (const h of handles.values()) if (h.kind === 'file') fs.close(h.fd, () => undefined);
    handles.clear();
  });
}

/** Accepts TCP connections and never says anything (an SFTP server that hangs before its banner). */
export async function startSilentServer(): Promise<{ host: string; port: number; stop(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A TCP proxy to target that, once armed, destroys both sides after dropAfterBytes bytes have
 * flowed from the server to the client on one connection (counted from when the connection opened).
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<{
  host: string;
  port: number;
  faults: { dropAfterBytes?: number };
  stop(): Promise<void>;
}> {
  const faults: { dropAfterBytes?: number } = {};
  const sockets = new Set<net.Socket>();
  const server = net.createServer((down) => {
    const up = net.connect(target.port, target.host);
    sockets.add(down);
    sockets.add(up);
    let served = 0;
    let cut = false;
    const kill = () => {
      down.destroy();
      up.destroy();
    };
    up.on('data', (chunk: Buffer) => {
      if (cut) return;
      const limit = faults.dropAfterBytes;
      if (limit !== undefined && served + chunk.length > limit) {
        cut = true;
        up.pause();
        down.write(chunk.subarray(0, Math.max(0, limit - served)), kill);
        served = limit;
        return;
      }
      served += chunk.length;
      if (!down.write(chunk)) up.pause();
    });
    down.on('drain', () => {
      if (!cut) up.resume();
    });
    down.on('data', (chunk: Buffer) => {
      if (!up.write(chunk)) down.pause();
    });
    up.on('drain', () => down.resume());
    for (const s of [up, down]) {
      s.on('error', kill);
      s.on('close', () => {
        sockets.delete(s);
        kill();
      });
    }
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port,
    faults,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
