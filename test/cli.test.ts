/**
 * The built `cdp` command against a real database (DATABASE_URL), as an operator runs it, and on
 * the embedded default while `cdp start` runs. `npm test` builds dist/ before jest runs.
 */
import { ChildProcess, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { openTestDatabase } from './helpers/harness';
import { eventually } from './helpers/poll';
import { freePort } from './setup/servers';

const run = promisify(execFile);
const CLI = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');

let database: Awaited<ReturnType<typeof openTestDatabase>>;
beforeAll(async () => {
  if (!fs.existsSync(CLI)) throw new Error('dist/ is missing: run `npm run build` (npm test does it)');
  database = await openTestDatabase();
});
afterAll(async () => database.close());

const cdp = (...args: string[]) =>
  run('node', [CLI, ...args], { env: { PATH: process.env.PATH, DATABASE_URL: database.url, LOG_LEVEL: 'warn' } });

describe('cdp CLI', () => {
  it('migrate reports that the database is up to date', async () => {
    const { stdout, stderr } = await cdp('migrate');
    expect(stdout).toContain('already up to date');
    expect(stderr).toContain('applying migrations');
  });

  it('creates an ad account with an admin key, lists it and issues a role key', async () => {
    const created = await cdp('accounts', 'create', '--name', 'CLI brand', '--org-name', 'CLI org');
    const account = /ad account:\s+(acc_\w+)/.exec(created.stdout)?.[1];
    expect(account).toBeDefined();
    expect(created.stdout).toMatch(/admin key:\s+cdp_[0-9a-z]{24}\./);
    const listed = await cdp('accounts', 'list');
    expect(listed.stdout).toContain(`${account}\t`);
    expect(listed.stdout).toContain('CLI brand');
    const key = await cdp('accounts', 'keys', 'create', '--account', account!, '--role', 'marketer');
    expect(key.stdout).toMatch(/^key_\w+\tmarketer\tcdp_/);
    const rows = await database.db('api_keys').where({ ad_account_id: account, role: 'marketer' });
    expect(rows).toHaveLength(1);
    expect(key.stdout).not.toContain(rows[0].secret_hash);
  });

  it('refuses an unknown role (usage, exit code 2) and an unknown account (exit code 1) with a clear message', async () => {
    await expect(cdp('accounts', 'keys', 'create', '--account', 'acc_x', '--role', 'root')).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining("error: option '--role <role>' argument 'root' is invalid"),
    });
    await expect(cdp('accounts', 'keys', 'create', '--account', 'acc_missing', '--role', 'marketer')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Ad account acc_missing not found'),
    });
  });

  it('prints the role table', async () => {
    const { stdout } = await cdp('roles');
    expect(stdout).toMatch(/labels\.write\s+admin, governance/);
  });

  it('npm run cdp before a build says in one line to build first', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    expect(pkg.scripts.cdp).toBe('node scripts/cdp.js');
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-unbuilt-')); // a checkout without dist/
    try {
      fs.mkdirSync(path.join(fresh, 'scripts'));
      fs.copyFileSync(path.join(__dirname, '..', 'scripts', 'cdp.js'), path.join(fresh, 'scripts', 'cdp.js'));
      await expect(run('node', [path.join(fresh, 'scripts', 'cdp.js'), 'roles'])).rejects.toMatchObject({
        code: 1,
        stderr: 'cdp is not built yet: run `npm run build` first (npm start and npm run demo build it too)\n',
      });
    } finally {
      fs.rmSync(fresh, { recursive: true, force: true });
    }
    expect((await run('node', [path.join(__dirname, '..', 'scripts', 'cdp.js'), 'roles'])).stdout).toMatch(/^accounts\.read /);
  });

  it('stops quietly when its reader goes away (cdp roles | head -1)', async () => {
    const child = spawn('node', [CLI, 'roles'], { env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.destroy(); // the pipe's reader is gone before the first line is written
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((r) => child.once('close', (c) => r(c)));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('cdp admin commands on the embedded default while `cdp start` runs', () => {
  let dataDir: string;
  let service: ChildProcess | undefined;
  afterAll(async () => {
    if (service && service.exitCode === null && service.signalCode === null) {
      service.kill('SIGTERM');
      await new Promise((r) => service!.once('exit', r));
    }
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('lists accounts and issues a key that the running service accepts, and leaves it running', async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-cli-embedded-'));
    const base = { PATH: process.env.PATH, HOME: process.env.HOME, CDP_DATA_DIR: dataDir, LOG_LEVEL: 'warn' };
    const pgPort = await freePort();
    service = spawn('node', [CLI, 'start'], { env: { ...base, PORT: '0', EMBEDDED_PG_PORT: String(pgPort) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    service.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    service.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const url = await eventually(async () => {
      if (service!.exitCode !== null) throw new Error(`cdp start exited ${service!.exitCode}: ${err}`);
      return /API listening on (http:\/\/\S+)/.exec(err)?.[1];
    }, 'cdp start to listen', 90_000, 100);
    const account = /ad account:\s+(acc_\w+)/.exec(out)?.[1];
    expect(account).toBeDefined();

    // Same data dir, EMBEDDED_PG_PORT left at its default: the command finds the real port.
    const admin = (...args: string[]) => run('node', [CLI, ...args], { env: base });
    const listed = await admin('accounts', 'list');
    expect(listed.stdout).toContain(`${account}\t`);
    const issued = await admin('accounts', 'keys', 'create', '--account', account!, '--role', 'admin', '--name', 'replacement');
    const token = /^key_\w+\tadmin\t(cdp_\S+)$/m.exec(issued.stdout)?.[1];
    expect(token).toBeDefined();
    const migrated = await admin('migrate');
    expect(migrated.stdout).toContain('already up to date');
    expect(migrated.stderr).toContain(`run by cdp process ${service.pid}`);

    // The service still has its database, and takes the new key.
    const me = await fetch(`${url}/v1/accounts/me`, { headers: { Authorization: `Bearer ${token}` } });
    expect(me.status).toBe(200);
    expect(((await me.json()) as { adAccount: { id: string } }).adAccount.id).toBe(account);

    service.kill('SIGTERM');
    const code = await new Promise((r) => service!.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    expect(fs.existsSync(path.join(dataDir, 'pg', 'postmaster.pid'))).toBe(false); // its owner stopped it
  }, 180_000);
});
