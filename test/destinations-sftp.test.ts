/**
 * The SFTP destination writer against real servers: the in-process ssh2 server (plain SFTP v3
 * rename only) and OpenSSH's sshd (posix-rename, fsync), with files read back by OpenSSH's own
 * `sftp` client in batch mode. No mocks.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DestinationWriter } from '../connectors/destination-types';
import {
  createCsvEncoder,
  liveRampFileName,
  liveRampMembership,
  liveRampSegmentColumn,
  validateLiveRampFileName,
  validateLiveRampHeader,
} from '../connectors/export-format';
import { createSftpDestination, SftpDestinationOptions, SftpDestinationSpec } from '../connectors/sftp-destination';
import { ConnectorError } from '../connectors/types';
import { startOpensshServer, TestOpensshServer } from './setup/openssh-server';
import { freePort } from './setup/servers';
import { startFaultProxy, startSftpServer, TestSftpServer } from './setup/sftp-server';

interface Target {
  host: string;
  port: number;
  username: string;
  password: string;
  privateKey: string;
  passphrase: string;
  hostKeyFingerprint: string;
  /** Local directory behind relative SFTP paths. */
  local: string;
  /** Whether the server offers posix-rename@openssh.com. */
  posixRename: boolean;
  /** Unencrypted copy of the user's key, for the sftp command-line client. */
  keyFile: string;
}

let inproc: TestSftpServer;
let openssh: TestOpensshServer;
let scratch: string;
const targets: Record<'in-process' | 'openssh', Target> = {} as never;
const writers: DestinationWriter[] = [];

function destination(t: Target, overrides: Partial<SftpDestinationSpec> = {}, opts: SftpDestinationOptions = {}): DestinationWriter {
  const w = createSftpDestination(
    { host: t.host, port: t.port, username: t.username, privateKey: t.privateKey, passphrase: t.passphrase, hostKeyFingerprint: t.hostKeyFingerprint, timeoutMs: 5_000, ...overrides },
    opts,
  );
  writers.push(w);
  return w;
}

/** A folder the SFTP user owns (OpenSSH serves files with the user's own permissions). */
function folder(t: Target, name: string): string {
  const dir = path.join(t.local, name);
  fs.mkdirSync(dir, { recursive: true });
  if (t === targets.openssh) execFileSync('chown', [`${t.username}:${t.username}`, dir]);
  return dir;
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

/**
 * Reads a remote file with OpenSSH's sftp client (batch mode, key auth). Async: the in-process
 * server shares our event loop. That server never closes the session channel after the client's
 * EOF, so the batch ends with a marker echoed by a local command and the client is stopped then.
 */
async function sftpGet(t: Target, remote: string): Promise<Buffer> {
  const out = path.join(scratch, `get-${randomBytes(4).toString('hex')}`);
  const marker = `cdp-batch-done-${randomBytes(4).toString('hex')}`;
  const child = spawn(
    'sftp',
    ['-b', '-', '-i', t.keyFile, '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'BatchMode=yes', '-o', 'IdentitiesOnly=yes', '-P', String(t.port), `${t.username}@127.0.0.1`],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`sftp get timed out:\n${stdout}\n${stderr}`));
    }, 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes(`\n${marker}`) || stdout.startsWith(marker)) {
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve();
      }
    });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (stdout.includes(marker)) resolve();
      else reject(new Error(`sftp exited with ${code}:\n${stdout}\n${stderr}`));
    });
    // sftp -b stops at the first failing command, so the marker only appears after a good get.
    child.stdin!.end(`get ${remote} ${out}\n!echo ${marker}\n`);
  });
  const data = fs.readFileSync(out);
  fs.rmSync(out);
  return data;
}

/** An unencrypted copy of an OpenSSH private key (sftp -b cannot ask for a passphrase). */
function plainKey(privateKey: string, passphrase: string, name: string): string {
  const file = path.join(scratch, name);
  fs.writeFileSync(file, privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`, { mode: 0o600 });
  execFileSync('ssh-keygen', ['-q', '-p', '-P', passphrase, '-N', '', '-f', file]);
  return file;
}

beforeAll(async () => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-sftp-dest-'));
  [inproc, openssh] = await Promise.all([startSftpServer(), startOpensshServer()]);
  targets['in-process'] = {
    host: inproc.host,
    port: inproc.port,
    ...inproc.user,
    hostKeyFingerprint: inproc.hostKeyFingerprint,
    local: inproc.root,
    posixRename: false,
    keyFile: plainKey(inproc.user.privateKey, inproc.user.passphrase, 'inproc_key'),
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
    posixRename: true,
    keyFile: plainKey(openssh.privateKey, openssh.passphrase, 'openssh_key'),
  };
}, 240_000); // first run on a bare machine installs openssh-server

afterEach(async () => {
  await Promise.all(writers.splice(0).map((w) => w.close()));
});

afterAll(async () => {
  await Promise.all([inproc?.stop(), openssh?.stop()]);
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

const AT = new Date(Date.UTC(2024, 4, 6, 7, 8, 9));

describe.each(['in-process', 'openssh'] as const)('SFTP destination on the %s server', (kind) => {
  const t = () => targets[kind];

  it('publishes under the final name only at commit (only the .part file while writing), byte-identical through the sftp CLI', async () => {
    const dir = folder(t(), 'uploads');
    fs.writeFileSync(path.join(dir, 'earlier.csv'), 'x\n');
    const w = destination(t()); // folder defaults to uploads
    const tested = await w.test();
    expect(tested).toMatchObject({ ok: true, sample: [expect.objectContaining({ path: 'uploads/earlier.csv', size: 2 })] });

    const name = liveRampFileName({ org: 'Acme', destination: 'LiveRamp', instanceId: 'dst_1', at: AT });
    expect(await w.exists(name)).toBe(false);
    const part = await w.openPart(name);
    const body = randomBytes(3 * 1024 * 1024 + 17);
    // First half, and wait until the server has it all.
    await new Promise<void>((resolve, reject) => part.stream.write(body.subarray(0, 1_500_000), (err) => (err ? reject(err) : resolve())));
    expect(fs.readdirSync(dir).sort()).toEqual([`${name}.part`, 'earlier.csv']);
    await pipeline(Readable.from([body.subarray(1_500_000)]), part.stream);
    // The caller's stream has ended, but nothing is published before commit.
    expect(fs.readdirSync(dir).sort()).toEqual([`${name}.part`, 'earlier.csv']);

    const published = await part.commit(42);
    expect(published).toEqual({ name, path: `uploads/${name}`, rows: 42, bytes: body.length });
    expect(fs.readdirSync(dir).sort()).toEqual([name, 'earlier.csv']);
    expect(fs.readFileSync(path.join(dir, name)).equals(body)).toBe(true);
    expect((await sftpGet(t(), `uploads/${name}`)).equals(body)).toBe(true);
    expect(await w.exists(name)).toBe(true);
    await part.abort(); // after commit: nothing to drop, the file stays
    expect(fs.existsSync(path.join(dir, name))).toBe(true);
  });

  it('abort() removes the temp file; nothing appears under the final name', async () => {
    const dir = folder(t(), 'abort');
    const w = destination(t(), { folder: 'abort' });
    const part = await w.openPart('x.csv');
    await new Promise<void>((resolve, reject) => part.stream.write(randomBytes(200_000), (err) => (err ? reject(err) : resolve())));
    expect(fs.readdirSync(dir)).toEqual(['x.csv.part']);
    await part.abort();
    await part.abort();
    expect(fs.readdirSync(dir)).toEqual([]);
    await expect(part.commit(1)).rejects.toThrow(/already aborted/);
    expect(await w.exists('x.csv')).toBe(false);
    // close() aborts parts left open, as after a failed run.
    const left = await w.openPart('y.csv');
    left.stream.write(Buffer.from('partial'));
    await w.close();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('replaces a stale temp file of a crashed run before writing', async () => {
    const dir = folder(t(), 'stale');
    fs.writeFileSync(path.join(dir, 'x.csv.part'), 'stale bytes of a crashed run that are longer than the new file');
    const w = destination(t(), { folder: 'stale' });
    const part = await w.openPart('x.csv');
    await pipeline(Readable.from([Buffer.from('id\n1\n')]), part.stream);
    await part.commit(1);
    expect(fs.readdirSync(dir)).toEqual(['x.csv']);
    expect(fs.readFileSync(path.join(dir, 'x.csv'), 'utf8')).toBe('id\n1\n');
  });

  it(`a final name that exists already is ${kind === 'openssh' ? 'replaced atomically (posix-rename)' : 'refused (plain SFTP rename cannot replace)'}`, async () => {
    const dir = folder(t(), 'exists');
    fs.writeFileSync(path.join(dir, 'x.csv'), 'old\n');
    const w = destination(t(), { folder: 'exists' });
    expect(await w.exists('x.csv')).toBe(true);
    const part = await w.openPart('x.csv');
    await pipeline(Readable.from([Buffer.from('new\n')]), part.stream);
    if (t().posixRename) {
      await part.commit(1);
      expect(fs.readFileSync(path.join(dir, 'x.csv'), 'utf8')).toBe('new\n');
    } else {
      const err = await rejection(part.commit(1));
      expect(err.message).toMatch(/exists\/x\.csv already exists .* cannot replace files atomically/);
      await part.abort();
      expect(fs.readFileSync(path.join(dir, 'x.csv'), 'utf8')).toBe('old\n');
    }
    expect(fs.readdirSync(dir)).toEqual(['x.csv']);
  });

  it('writes a LiveRamp file: validated name and header, active/expired/empty cells', async () => {
    const dir = folder(t(), 'liveramp');
    const w = destination(t(), { folder: 'liveramp' }, { validateName: validateLiveRampFileName });
    for (const bad of ['_hidden.csv', 'has space.csv', '.dot.csv']) {
      const err = await rejection(w.openPart(bad));
      expect(err.reason).toBe('protocol');
      expect(err.message).toMatch(/refused: LiveRamp file name/);
    }
    await expect(w.openPart('x.csv.part')).rejects.toThrow(/ends with \.part/);
    await expect(w.openPart('a/b.csv')).rejects.toThrow(/not a plain file name/);
    expect(fs.readdirSync(dir)).toEqual([]);

    const columns = ['Email_LC_SHA256', liveRampSegmentColumn('Email_LC_SHA256', 'aud_1'), liveRampSegmentColumn('Email_LC_SHA256', 'aud_2')];
    validateLiveRampHeader(columns);
    expect(() => validateLiveRampHeader(['Email_LC_SHA256', 'seg-1'])).toThrow(/may only contain/);
    const name = liveRampFileName({ org: 'Acme', destination: 'LiveRamp', instanceId: 'dst_1', at: AT, gzip: false });
    const part = await w.openPart(name);
    const rows = [
      ['a'.repeat(64), liveRampMembership('member'), liveRampMembership('none')],
      ['b'.repeat(64), liveRampMembership('exited'), liveRampMembership('member')],
    ];
    await pipeline(Readable.from(rows), createCsvEncoder({ columns, gzip: false }), part.stream);
    await part.commit(rows.length);
    expect(fs.readFileSync(path.join(dir, name), 'utf8')).toBe(
      `Email_LC_SHA256,Email_LC_SHA256_aud_1,Email_LC_SHA256_aud_2\n${'a'.repeat(64)},active,\n${'b'.repeat(64)},expired,active\n`,
    );
  });

  it('a missing folder is a configuration error naming the folder', async () => {
    const w = destination(t(), { folder: 'no-such-folder' });
    const err = await rejection(w.openPart('x.csv'));
    expect(err.reason).toBe('no_such_folder');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/no such folder no-such-folder on 127\.0\.0\.1:\d+: check the destination's folder/);
    expect(await w.test()).toMatchObject({ ok: false, reason: 'no_such_folder' });
  });
});

describe('SFTP destination errors', () => {
  it('maps a refused connection and a wrong password', async () => {
    const t = targets['in-process'];
    const refused = await destination(t, { port: await freePort() }).test();
    expect(refused).toMatchObject({ ok: false, reason: 'host_unreachable' });
    const w = destination(t, { privateKey: undefined, password: 'wrong' });
    const err = await rejection(w.openPart('x.csv'));
    expect(err.reason).toBe('auth_failed');
  });

  it('fails the part when the connection drops mid-file; abort cleans up on a new connection', async () => {
    const t = targets['in-process'];
    const dir = folder(t, 'dropped');
    const proxy = await startFaultProxy(t);
    try {
      const w = destination(t, { host: proxy.host, port: proxy.port, folder: 'dropped' });
      const part = await w.openPart('x.csv');
      await new Promise<void>((resolve, reject) => part.stream.write(Buffer.from('first'), (err) => (err ? reject(err) : resolve())));
      proxy.faults.dropAfterBytes = 1; // the next bytes from the server cut the connection
      const err = await rejection(pipeline(Readable.from([randomBytes(4 * 1024 * 1024)]), part.stream).then(() => part.commit(1)));
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/connection to SFTP server .* was lost/);
      expect(fs.readdirSync(dir)).toEqual(['x.csv.part']);
      proxy.faults.dropAfterBytes = undefined;
      await part.abort();
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      await proxy.stop();
    }
  });
});
