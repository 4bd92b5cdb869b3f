/** README.md documents the role table and configuration; keep them equal to the code. */
import fs from 'node:fs';
import path from 'node:path';
import { ACCESS } from '../src/http/access';
import { ROLES } from '../src/core/types';

const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');

describe('README', () => {
  it('role table matches ACCESS in src/http/access.ts', () => {
    const block = readme.split('<!-- roles:start -->')[1]?.split('<!-- roles:end -->')[0];
    expect(block).toBeDefined();
    const rows = block!
      .split('\n')
      .filter((l) => l.startsWith('| ') && !l.startsWith('| permission'))
      .map((l) => l.split('|').map((c) => c.trim()));
    const table = Object.fromEntries(rows.map((cells) => [cells[1], ROLES.filter((_r, i) => cells[2 + i] === '✓')]));
    const code = Object.fromEntries(Object.entries(ACCESS).map(([p, roles]) => [p, ROLES.filter((r) => (roles as readonly string[]).includes(r))]));
    expect(table).toEqual(code);
  });

  it('documents every environment variable the config module reads', () => {
    const source = fs.readFileSync(path.join(__dirname, '..', 'src', 'config.ts'), 'utf8');
    const names = new Set([...source.matchAll(/\(env, '([A-Z_]+)'/g)].map((m) => m[1]));
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('names the two commands and CI runs the README test command', () => {
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
    const ci = fs.readFileSync(path.join(__dirname, '..', '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/npm ci[^\n]*\n(?:.*\n)*?npm test/);
  });
});
