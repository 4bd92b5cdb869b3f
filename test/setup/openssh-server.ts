/**
 * A real OpenSSH sshd serving SFTP (internal-sftp) on a free loopback port, because partners run
 * OpenSSH. Installs Debian's openssh-server with apt-get when sshd is missing (the suite runs as
 * root). Each server gets its own system user (password and key auth both work), host key and
 * temp directory; stop() kills sshd and removes the user and the directory.
 *
 * No chroot: sshd requires every chroot path component to be root-owned and not writable by
 * others, which /tmp is not. SFTP paths are real paths: the user starts in `home`, so relative
 * paths ("in/…") land under it.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { eventually, GiveUp } from '../helpers/poll';
import { freePort } from './servers';

export interface TestOpensshServer {
  host: string;
  port: number;
  username: string;
  password: string;
  /** OpenSSH private key of the user, encrypted with passphrase. */
  privateKey: string;
  passphrase: string;
  /** The user's home (SFTP start directory), owned by the user. */
  home: string;
  /** `SHA256:…` of the ed25519 host key, as ssh-keygen -l prints it. */
  hostKeyFingerprint: string;
  /** sshd's log so far (-e: to stderr), for failed-test diagnostics. */
  log(): string;
  stop(): Promise<void>;
}

const SSHD = '/usr/sbin/sshd';

function sh(cmd: string, args: string[], input?: string): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(input !== undefined ? { input } : {}) });
}

/** Installs Debian's openssh-server when sshd is missing (CI machines start bare). */
export function ensureSshd(): string {
  if (fs.existsSync(SSHD)) return SSHD;
  if (process.getuid?.() !== 0) throw new Error('sshd is not installed; run: sudo apt-get install -y openssh-server');
  process.stderr.write('installing openssh-server with apt-get …\n');
  execFileSync(
    'sh',
    ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null'],
    { stdio: 'inherit' },
  );
  if (!fs.existsSync(SSHD)) throw new Error('sshd still missing after apt-get install openssh-server');
  return SSHD;
}

async function waitForBanner(port: number, child: ChildProcess, log: () => string, timeoutMs = 10_000): Promise<void> {
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new GiveUp(`sshd exited with ${child.exitCode}:\n${log()}`);
      return new Promise<boolean>((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.setTimeout(1000);
        s.once('data', (d) => {
          s.destroy();
          resolve(d.toString('latin1').startsWith('SSH-'));
        });
        s.once('timeout', () => {
          s.destroy();
          resolve(false);
        });
        s.once('error', () => resolve(false));
      });
    },
    () => `sshd to start on port ${port}:\n${log()}`,
    timeoutMs,
    50,
  );
}

export async function startOpensshServer(): Promise<TestOpensshServer> {
  const sshd = ensureSshd();
  fs.mkdirSync('/run/sshd', { recursive: true, mode: 0o755 }); // privilege-separation directory

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-openssh-'));
  // The user must traverse dir: sshd reads authorized_keys with the user's privileges.
  fs.chmodSync(dir, 0o755);
  const username = `cdpsftp${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('base64url');
  const passphrase = 'partner passphrase';
  const home = path.join(dir, 'home');
  const hostKeyPath = path.join(dir, 'ssh_host_ed25519_key');
  const userKeyPath = path.join(dir, 'id_ed25519');
  const authorizedKeys = path.join(dir, 'authorized_keys');

  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'cdp-test-host', '-f', hostKeyPath]);
  sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', 'cdp-test-user', '-f', userKeyPath]);
  fs.copyFileSync(`${userKeyPath}.pub`, authorizedKeys);
  fs.chmodSync(authorizedKeys, 0o644);
  // `256 SHA256:abc… comment (ED25519)`
  const hostKeyFingerprint = sh('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${hostKeyPath}.pub`]).split(' ')[1]!;

  sh('useradd', ['--no-create-home', '--home-dir', home, '--shell', '/usr/sbin/nologin', '--user-group', username]);
  let userCreated = true;
  const removeUser = () => {
    if (!userCreated) return;
    userCreated = false;
    try {
      sh('userdel', ['--force', username]);
    } catch {
      // already gone
    }
  };
  let child: ChildProcess | undefined;
  try {
    // Setting a password also unlocks the account, which key auth needs too (UsePAM no).
    sh('chpasswd', [], `${username}:${password}\n`);
    fs.mkdirSync(home, { mode: 0o755 });
    sh('chown', [`${username}:${username}`, home]);

    const port = await freePort();
    const config = path.join(dir, 'sshd_config');
    const lines = [
      'ListenAddress 127.0.0.1',
      `PidFile ${path.join(dir, 'sshd.pid')}`,
      `HostKey ${hostKeyPath}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'StrictModes no',
      'UsePAM no',
      'PubkeyAuthentication yes',
      'PasswordAuthentication yes',
      'KbdInteractiveAuthentication no',
      'PermitEmptyPasswords no',
      'PermitRootLogin no',
      `AllowUsers ${username}`,
      'Subsystem sftp internal-sftp',
      'ForceCommand internal-sftp',
      'AllowTcpForwarding no',
      'X11Forwarding no',
      'MaxAuthTries 10',
      'MaxStartups 100',
      'LoginGraceTime 30',
      'LogLevel VERBOSE',
    ];
    // OpenSSH ≥ 9.8 penalises addresses that fail to log in; the tests do that on purpose.
    const optional = ['PerSourcePenalties no'];
    for (const opt of optional) {
      fs.writeFileSync(config, [...lines, opt].join('\n') + '\n');
      try {
        sh(sshd, ['-t', '-f', config]);
        lines.push(opt);
      } catch {
        // this sshd does not know the option
      }
    }
    fs.writeFileSync(config, lines.join('\n') + '\n');
    sh(sshd, ['-t', '-f', config]);

    let log = '';
    child = spawn(sshd, ['-D', '-e', '-f', config, '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (log.length > 200_000) log = log.slice(-100_000);
    });
    await waitForBanner(port, child, () => log);

    const proc = child;
    return {
      host: '127.0.0.1',
      port,
      username,
      password,
      privateKey: fs.readFileSync(userKeyPath, 'utf8'),
      passphrase,
      home,
      hostKeyFingerprint,
      log: () => log,
      stop: async () => {
        if (proc.exitCode === null) {
          const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
          proc.kill('SIGTERM');
          let timer: NodeJS.Timeout | undefined;
          await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 3000)))]);
          clearTimeout(timer);
          if (proc.exitCode === null) proc.kill('SIGKILL');
        }
        removeUser();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    removeUser();
    fs.rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
