/**
 * The read-back commands `cdp demo` prints, run as a person pastes them: the aws CLI against the
 * demo's local S3 store and OpenSSH's sftp against its local LiveRamp SFTP server (the password
 * typed through SSH_ASKPASS). sftp must also end by itself once the file is fetched.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { readBackCommands } from '../src/demo/read-back';
import { startS3Server, TestS3Server } from '../src/demo/local-s3';
import { startSftpServer, TestSftpServer } from '../src/demo/local-sftp';

const run = promisify(execFile);
const CSV = 'partner_id,city\nACME-1,Seoul\nACME-2,Busan\n';

let dir: string;
let s3: TestS3Server;
let sftp: TestSftpServer;
let commands: ReturnType<typeof readBackCommands>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp demo read-back ')); // a space: paths must be quoted
  s3 = await startS3Server({ directory: path.join(dir, 's3') });
  await s3.createBucket('cdp-demo-exports');
  await s3.client().send(new PutObjectCommand({ Bucket: 'cdp-demo-exports', Key: 'prospects/part_1.csv.gz', Body: gzipSync(CSV) }));
  sftp = await startSftpServer({ root: path.join(dir, 'liveramp-sftp') });
  fs.mkdirSync(path.join(sftp.root, 'uploads'), { recursive: true });
  fs.writeFileSync(path.join(sftp.root, 'uploads', 'ACMEBRAND_LiveRamp_X_1.csv'), CSV);
  const knownHostsFile = path.join(dir, 'liveramp-known_hosts');
  fs.writeFileSync(knownHostsFile, `${sftp.knownHostsLine}\n`);
  const file = (name: string, p: string) => ({ name, path: p, rows: 2, bytes: 0 });
  commands = readBackCommands({
    s3: { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, bucket: 'cdp-demo-exports', files: [file('part_1.csv.gz', 'prospects/part_1.csv.gz')], localDir: s3.directory },
    liveRamp: { host: sftp.host, port: sftp.port, username: sftp.user.username, password: sftp.user.password, knownHostsFile, files: [file('ACMEBRAND_LiveRamp_X_1.csv', 'uploads/ACMEBRAND_LiveRamp_X_1.csv')], localDir: path.join(sftp.root, 'uploads') },
  });
});
afterAll(async () => {
  await Promise.all([s3?.stop(), sftp?.stop()]);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A shell in a fresh folder with a fresh HOME: no AWS profile, no ~/.ssh of this machine. */
async function shell(command: string, extraEnv: Record<string, string> = {}) {
  const cwd = fs.mkdtempSync(path.join(dir, 'cwd-'));
  // Async: the servers run in this process. Debian's aws first when there (CI installs it).
  const env = { PATH: `/usr/bin:${process.env.PATH}`, HOME: cwd, ...extraEnv };
  const { stdout } = await run('bash', ['-c', `set -o pipefail\n${command}`], { cwd, env, timeout: 30_000 });
  return { stdout, cwd };
}

describe('cdp demo read-back commands', () => {
  it('aws s3 ls lists the export and aws s3 cp … | gunzip prints its rows', async () => {
    expect((await shell(commands.s3List)).stdout).toMatch(/\sprospects\/part_1\.csv\.gz\n/);
    expect(commands.s3Read).toHaveLength(1);
    expect((await shell(commands.s3Read[0])).stdout).toBe(CSV);
  });

  it('sftp fetches the LiveRamp file with the printed password, checking the host key, and exits', async () => {
    expect(commands.sftpGet).toHaveLength(1);
    const askpass = path.join(dir, 'askpass');
    fs.writeFileSync(askpass, `#!/bin/sh\necho '${commands.sftpPassword}'\n`, { mode: 0o700 });
    // StrictHostKeyChecking=yes: the known_hosts file the demo wrote is what lets it connect.
    const { cwd } = await shell(commands.sftpGet[0].replace(/^sftp /, 'sftp -o StrictHostKeyChecking=yes '), { SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force' });
    expect(fs.readFileSync(path.join(cwd, 'ACMEBRAND_LiveRamp_X_1.csv'), 'utf8')).toBe(CSV);
  });
});
