/**
 * The built `cdp` command against a real database (DATABASE_URL), as an operator runs it.
 * `npm test` builds dist/ before jest runs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { openTestDatabase } from './helpers/harness';

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

  it('refuses an unknown role and an unknown account with a clear message and exit code 1', async () => {
    await expect(cdp('accounts', 'keys', 'create', '--account', 'acc_x', '--role', 'root')).rejects.toMatchObject({ code: 1 });
    await expect(cdp('accounts', 'keys', 'create', '--account', 'acc_missing', '--role', 'marketer')).rejects.toMatchObject({
      code: 1,
      stderr: expect.stringContaining('Ad account acc_missing not found'),
    });
  });

  it('prints the role table', async () => {
    const { stdout } = await cdp('roles');
    expect(stdout).toMatch(/labels\.write\s+admin, governance/);
  });
});
