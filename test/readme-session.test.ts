/**
 * README's "A first session with the API", run as pasted: its shell blocks, with bash, against a
 * real test server. The blocks read CDP_URL and KEY (defaulting to what `npm start` serves), use
 * `curl -f` so a failed request stops the script, and state each answer they show as `# → …`.
 */
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestApi, TestApi } from './helpers/harness';

const run = promisify(execFile);
const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`README has no section "${title}"`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

const shellBlocks = (text: string) => [...text.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);

/** The session reads ids with jq (Debian's; installed with apt-get when missing, as CI starts bare). */
function ensureJq(): void {
  try {
    execFileSync('sh', ['-c', 'command -v jq'], { stdio: 'ignore' });
    return;
  } catch {
    if (process.getuid?.() !== 0) throw new Error('jq is not installed; run: sudo apt-get install -y jq');
  }
  execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq jq >/dev/null'], { stdio: 'inherit' });
}

let api: TestApi;
beforeAll(async () => {
  ensureJq();
  api = await startTestApi();
}, 120_000);
afterAll(async () => api.close());

describe('README "A first session with the API"', () => {
  const script = shellBlocks(section('A first session with the API')).join('\n');

  it('runs as pasted against the service and answers what README says', async () => {
    const expected = [...script.matchAll(/^# → (.*)$/gm)].map((m) => m[1]);
    expect(expected.length).toBeGreaterThanOrEqual(2);
    // set -e in the script, not as flags: with -u as a flag bash also applies it to /etc/bash.bashrc.
    const { stdout } = await run('bash', ['-c', `set -euo pipefail\n${script}`], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, CDP_URL: api.url, KEY: api.adminToken },
      timeout: 20_000,
    }).catch((err: { stdout: string; stderr: string; code: number }) => {
      throw new Error(`README session failed (exit ${err.code}):\n${err.stderr}\n--- stdout:\n${err.stdout}`);
    });
    expect(stdout).toMatch(/^schema: sch_\w+$/m);
    // Each stated answer is an output line, in order; the last is the policy evaluation's.
    const lines = stdout.split('\n');
    let at = 0;
    for (const answer of expected) {
      const found = lines.indexOf(answer, at);
      expect({ answer, found: found >= 0 }).toEqual({ answer, found: true });
      at = found + 1;
    }
    expect(expected.at(-1)).toBe('["Restrict data export to third parties (C2)"]');
    const [namespace] = await api.db('namespaces').where({ ad_account_id: api.adAccountId, code: 'acmePartnerId' });
    expect(namespace).toBeDefined(); // the session worked on the service under test
  });

  it('every shell block of README sets the variables it uses (KEY and CDP_URL come from the reader)', () => {
    for (const block of shellBlocks(readme)) {
      const used = new Set([...block.matchAll(/\$\{?([A-Za-z_]\w*)/g)].map((m) => m[1]));
      const set = new Set([...block.matchAll(/^\s*(?:export\s+)?([A-Za-z_]\w*)=/gm)].map((m) => m[1]));
      expect({ block, unset: [...used].filter((v) => !set.has(v) && v !== 'KEY') }).toEqual({ block, unset: [] });
    }
  });
});
