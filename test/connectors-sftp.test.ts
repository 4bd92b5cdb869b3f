/**
 * The SFTP source connector against real servers: the in-process ssh2 server (with fault hooks)
 * and OpenSSH's sshd (what partners run). No mocks.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import SftpClient from 'ssh2-sftp-client';
import { createSftpSource } from '../connectors/sftp';
import { ConnectorError, SftpSpec, SourceConnector } from '../connectors/types';
import { eventually } from './helpers/poll';
import { startOpensshServer, TestOpensshServer } from './setup/openssh-server';
import { freePort } from './setup/servers';
import { startFaultProxy, startSftpServer, startSilentServer, TestSftpServer } from './setup/sftp-server';

/** One server as the tests see it: where its files live locally and how to name them remotely. */
interface Target {
  host: string;
  port: number;
  username: string;
  password: string;
  privateKey: string;
  passphrase: string;
  hostKeyFingerprint: string;
  /** Local directory behind the SFTP folder `remote('')`. */
  local: string;
  remote(rel: string): string;
}

const BIG = randomBytes(20 * 1024 * 1024);
const BIG_SHA = createHash('sha256').update(BIG).digest('hex');

let inproc: TestSftpServer;
let openssh: TestOpensshServer;
const targets: Record<'in-process' | 'openssh', Target> = {} as never;
const connectors: SourceConnector[] = [];

function connect(t: Target, overrides: Partial<SftpSpec> = {}): SourceConnector {
  const c = createSftpSource({ host: t.host, port: t.port, username: t.username, password: t.password, hostKeyFingerprint: t.hostKeyFingerprint, timeoutMs: 5_000, ...overrides });
  connectors.push(c);
  return c;
}

async function sha256Of(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of stream) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function rejection(p: Promise<unknown>): Promise<ConnectorError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(ConnectorError);
    return err as ConnectorError;
  }
  throw new Error('expected a rejection');
}

/** The same tree on both servers: in/ with csv files of known mtimes, a sub folder and a 20 MB file. */
function seed(dir: string): void {
  const inDir = path.join(dir, 'in');
  fs.mkdirSync(path.join(inDir, 'sub'), { recursive: true });
  const put = (rel: string, body: string | Buffer, mtimeSec: number) => {
    fs.writeFileSync(path.join(inDir, rel), body);
    fs.utimesSync(path.join(inDir, rel), mtimeSec, mtimeSec);
  };
  put('a.csv', 'id,email\n1,a@example.com\n', 1_700_000_300);
  put('b.csv', 'id,email\n2,b@example.com\n', 1_700_000_100);
  put('c.txt', 'not data', 1_700_000_000);
  put('prospects_20240101.csv.gz', Buffer.from([0x1f, 0x8b, 0]), 1_700_000_200);
  put('sub/d.csv', 'id\n4\n', 1_700_000_050);
  put('big.bin', BIG, 1_700_000_400);
  fs.symlinkSync('a.csv', path.join(inDir, 'latest.csv')); // followed: listed with a.csv's size and mtime
  fs.symlinkSync('missing.csv', path.join(inDir, 'dangling.csv')); // skipped
  fs.symlinkSync('.', path.join(inDir, 'loop')); // a link to a folder: never recursed into
}

beforeAll(async () => {
  [inproc, openssh] = await Promise.all([startSftpServer(), startOpensshServer()]);
  seed(inproc.root);
  seed(openssh.home);
  targets['in-process'] = {
    host: inproc.host,
    port: inproc.port,
    ...inproc.user,
    hostKeyFingerprint: inproc.hostKeyFingerprint,
    local: inproc.root,
    remote: (rel) => `/${rel}`,
  };
  targets.openssh = {
    host: openssh.host,
    port: openssh.port,
    username: openssh.username,
    password: openssh.password,
    privateKey: openssh.privateKey,
    passphrase: openssh.passphrase,
    hostKeyFingerprint: openssh.hostKeyFingerprint,
    local: openssh.home,
    remote: (rel) => path.posix.join(openssh.home, rel),
  };
}, 240_000); // first run on a bare machine installs openssh-server

afterEach(async () => {
  await Promise.all(connectors.splice(0).map((c) => c.close()));
  if (inproc) inproc.faults = Object.assign(inproc.faults, { dropAfterBytes: undefined, stallAfterBytes: undefined });
});

afterAll(async () => {
  await Promise.all([inproc?.stop(), openssh?.stop()]);
});

describe.each(['in-process', 'openssh'] as const)('SFTP source on the %s server', (kind) => {
  const t = () => targets[kind];

  it('lists the files directly in a folder, filtered by a glob on the base name, oldest first', async () => {
    const c = connect(t());
    const csv = await c.list(t().remote('in'), { pattern: '*.csv' });
    expect(csv.map((f) => path.posix.basename(f.path))).toEqual(['b.csv', 'a.csv', 'latest.csv']);
    expect(csv[0]).toEqual({
      path: t().remote('in/b.csv'),
      size: 25,
      modifiedAt: new Date(1_700_000_100_000),
      fingerprint: `25:${1_700_000_100_000}`,
    });
    const gz = await c.list(t().remote('in'), { pattern: 'prospects_*.csv.gz' });
    expect(gz.map((f) => path.posix.basename(f.path))).toEqual(['prospects_20240101.csv.gz']);
    const all = await c.list(t().remote('in'));
    expect(all.map((f) => path.posix.basename(f.path))).toEqual(['c.txt', 'b.csv', 'prospects_20240101.csv.gz', 'a.csv', 'latest.csv', 'big.bin']);
    expect(all.find((f) => f.path.endsWith('latest.csv'))).toMatchObject({ size: 25, fingerprint: `25:${1_700_000_300_000}` });
    const deep = await c.list(t().remote('in'), { pattern: '*.csv', recursive: true });
    expect(deep.map((f) => f.path)).toEqual([t().remote('in/sub/d.csv'), t().remote('in/b.csv'), t().remote('in/a.csv'), t().remote('in/latest.csv')]);
    // Relative folders resolve against the login directory.
    expect((await c.list('in', { pattern: 'a.*' })).map((f) => f.path)).toEqual(['in/a.csv']);
  });

  it('streams a 20 MB file byte-identical over one reused connection', async () => {
    const c = connect(t());
    const [big] = await c.list(t().remote('in'), { pattern: 'big.bin' });
    expect(big!.size).toBe(BIG.length);
    expect(await sha256Of(await c.open(big!))).toBe(BIG_SHA);
    // A second read on the same connector works (connection kept, not re-logged in).
    const [a] = await c.list(t().remote('in'), { pattern: 'a.csv' });
    expect(await sha256Of(await c.open(a!))).toBe(createHash('sha256').update(fs.readFileSync(path.join(t().local, 'in/a.csv'))).digest('hex'));
  });

  it('logs in with an OpenSSH private key and its passphrase', async () => {
    const c = connect(t(), { password: undefined, privateKey: t().privateKey, passphrase: t().passphrase });
    const res = await c.test(t().remote('in'));
    expect(res).toEqual({ ok: true, detail: expect.stringContaining('holds 6 file(s)'), sample: expect.any(Array) });
  });

  it('reports a wrong password as auth_failed, naming the user and what to check', async () => {
    const c = connect(t(), { password: 'wrong-password' });
    const res = await c.test(t().remote('in'));
    expect(res).toEqual({ ok: false, reason: 'auth_failed', message: `SFTP authentication failed for user ${t().username} on ${t().host}:${t().port}: check username/password or private key` });
    const err = await rejection(c.list(t().remote('in')));
    expect(err).toMatchObject({ reason: 'auth_failed', retryable: false });
  });

  it('reports a wrong passphrase as auth_failed', async () => {
    const c = connect(t(), { password: undefined, privateKey: t().privateKey, passphrase: 'not it' });
    const res = await c.test(t().remote('in'));
    expect(res).toMatchObject({ ok: false, reason: 'auth_failed', message: expect.stringContaining('check the passphrase') });
  });

  it('refuses a host whose key does not match the pinned fingerprint', async () => {
    const pinned = `SHA256:${Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')}`;
    const c = connect(t(), { hostKeyFingerprint: pinned });
    const err = await rejection(c.list(t().remote('in')));
    expect(err.reason).toBe('host_key_mismatch');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(t().hostKeyFingerprint);
    expect(err.message).toContain('hostKeyFingerprint');
  });

  it('reports a missing folder as no_such_folder, naming the folder', async () => {
    const c = connect(t());
    const err = await rejection(c.list(t().remote('nope')));
    expect(err).toMatchObject({ reason: 'no_such_folder', retryable: false });
    expect(err.message).toBe(`no such folder ${t().remote('nope')} on ${t().host}:${t().port}: check the dataflow's folder`);
    expect(await c.test(t().remote('nope'))).toMatchObject({ ok: false, reason: 'no_such_folder' });
    // The connection survives a failed call.
    expect(await c.list(t().remote('in'), { pattern: 'a.csv' })).toHaveLength(1);
  });

  it('errors the read stream with a ConnectorError when the connection drops mid-file, then reconnects', async () => {
    let target = t();
    let proxy: Awaited<ReturnType<typeof startFaultProxy>> | undefined;
    if (kind === 'in-process') inproc.faults.dropAfterBytes = 3 * 1024 * 1024;
    else {
      // sshd has no fault hooks: cut the TCP stream between us and it instead.
      proxy = await startFaultProxy({ host: openssh.host, port: openssh.port });
      proxy.faults.dropAfterBytes = 3 * 1024 * 1024;
      target = { ...target, host: proxy.host, port: proxy.port };
    }
    try {
      const c = connect(target);
      const [big] = await c.list(target.remote('in'), { pattern: 'big.bin' });
      const stream = await c.open(big!);
      let received = 0;
      const err = await rejection(
        (async () => {
          for await (const chunk of stream) received += (chunk as Buffer).length;
        })(),
      );
      expect(err).toMatchObject({ reason: 'host_unreachable', retryable: true });
      expect(err.message).toContain('was lost while reading');
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThan(BIG.length);
      // The next call logs in again.
      if (proxy) proxy.faults.dropAfterBytes = undefined;
      else inproc.faults.dropAfterBytes = undefined;
      expect(await c.list(target.remote('in'), { pattern: 'a.csv' })).toHaveLength(1);
    } finally {
      await proxy?.stop();
    }
  });
});

describe.each(['in-process', 'openssh'] as const)('the %s test server', (kind) => {
  it('accepts the writes a destination SFTP writer needs (mkdir, put, stream, append, rename, delete)', async () => {
    const t = targets[kind];
    const c = new SftpClient('writer-check', {});
    await c.connect({ host: t.host, port: t.port, username: t.username, password: t.password });
    try {
      const body = randomBytes(1_500_000);
      await c.mkdir(t.remote('uploads/deep'), true);
      await c.put(body, t.remote('uploads/export.csv.part'));
      await c.rename(t.remote('uploads/export.csv.part'), t.remote('uploads/export.csv'));
      await expect(c.rename(t.remote('uploads/export.csv'), t.remote('uploads/export.csv'))).rejects.toThrow(); // SFTP v3: never replaces
      await c.put(Readable.from([Buffer.from('id\n'), Buffer.from('1\n')]), t.remote('uploads/streamed.csv'));
      await c.append(Buffer.from('2\n'), t.remote('uploads/streamed.csv'));
      await c.delete(t.remote('uploads/export.csv.part'), true);
      await c.rmdir(t.remote('uploads/deep'));
      expect(fs.readFileSync(path.join(t.local, 'uploads/export.csv')).equals(body)).toBe(true);
      expect(fs.readFileSync(path.join(t.local, 'uploads/streamed.csv'), 'utf8')).toBe('id\n1\n2\n');
      expect((await c.list(t.remote('uploads'))).map((e) => e.name).filter((n) => !n.startsWith('.')).sort()).toEqual(['export.csv', 'streamed.csv']);
    } finally {
      await c.end();
    }
  });
});

describe('SFTP source failures that need no server', () => {
  it('reports a closed port as host_unreachable (retryable)', async () => {
    const port = await freePort();
    const c = createSftpSource({ host: '127.0.0.1', port, username: 'x', password: 'y', timeoutMs: 5_000 });
    connectors.push(c);
    const res = await c.test('/in');
    expect(res).toEqual({ ok: false, reason: 'host_unreachable', message: expect.stringContaining(`cannot reach SFTP server 127.0.0.1:${port} (connection refused)`) });
    expect(await rejection(c.list('/in'))).toMatchObject({ reason: 'host_unreachable', retryable: true });
  });

  it('times out within timeoutMs on a server that never answers', async () => {
    const silent = await startSilentServer();
    try {
      const c = createSftpSource({ host: silent.host, port: silent.port, username: 'x', password: 'y', timeoutMs: 600 });
      connectors.push(c);
      const started = Date.now();
      const err = await rejection(c.list('/in'));
      const elapsed = Date.now() - started;
      expect(err).toMatchObject({ reason: 'timeout', retryable: true });
      expect(err.message).toContain('timeoutMs');
      expect(elapsed).toBeGreaterThanOrEqual(550);
      expect(elapsed).toBeLessThan(2_000);
    } finally {
      await silent.stop();
    }
  });

  it('refuses a malformed host key fingerprint before connecting', async () => {
    const c = createSftpSource({ host: '127.0.0.1', port: 1, username: 'x', password: 'y', hostKeyFingerprint: 'aa:bb:cc' });
    connectors.push(c);
    expect(await c.test('/in')).toMatchObject({ ok: false, reason: 'host_key_mismatch', message: expect.stringContaining('ssh-keygen -l -E sha256') });
  });
});

describe('SFTP source: server-specific behaviour', () => {
  it('fails a stalled transfer with timeout after timeoutMs of silence (in-process server)', async () => {
    inproc.faults.stallAfterBytes = 1024 * 1024;
    const c = connect(targets['in-process'], { timeoutMs: 700 });
    const [big] = await c.list('/in', { pattern: 'big.bin' });
    const stream = await c.open(big!);
    const started = Date.now();
    const err = await rejection(sha256Of(stream));
    expect(err).toMatchObject({ reason: 'timeout', retryable: true });
    expect(err.message).toContain('stalled');
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('reports a folder the user may not read as permission_denied (OpenSSH, non-root user)', async () => {
    const locked = path.join(openssh.home, 'locked');
    fs.mkdirSync(locked, { mode: 0o700 }); // owned by root, so closed to the SFTP user
    const c = connect(targets.openssh);
    const err = await rejection(c.list(targets.openssh.remote('locked')));
    expect(err).toMatchObject({ reason: 'permission_denied', retryable: false });
    expect(err.message).toContain(`SFTP user ${openssh.username} may not list`);
  });

  it('keeps one connection per connector and closes it on close()', async () => {
    await eventually(async () => inproc.connectionCount() === 0, "earlier tests' connections to wind down", 2_000, 10);
    const c = connect(targets['in-process']);
    await c.list('/in');
    await c.list('/in/sub');
    expect(inproc.connectionCount()).toBe(1);
    await c.close();
    await eventually(async () => inproc.connectionCount() === 0, 'the connection to close', 2_000, 10);
    expect(inproc.connectionCount()).toBe(0);
  });
});
