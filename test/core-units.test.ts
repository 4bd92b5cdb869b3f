import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { SERVICE_NODE_FLAGS } from '../src/core/gc-tuning';
import { ident, identPath, escapeLike } from '../src/core/sql';
import { decodeCursor, encodeCursor } from '../src/core/pagination';
import { newId } from '../src/core/ids';
import { CORE_POLICIES } from '../src/governance/core-policies';
import { CORE_POLICY_TEXT } from '../console/src/ui/core-policy-names';

describe('config', () => {
  it('uses the embedded defaults when nothing is set', () => {
    const c = loadConfig({}, '/srv/app');
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8080, dataDir: '/srv/app/.cdp', embeddedPostgresPort: 54329, queuePrefix: 'cdp' });
    expect(c.databaseUrl).toBeUndefined();
    expect(c.redisUrl).toBeUndefined();
  });

  it('rejects bad values with the variable name and the rule', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT must be an integer between 0 and 65535/);
    expect(() => loadConfig({ WORKER_CONCURRENCY: '0' })).toThrow(/WORKER_CONCURRENCY/);
    expect(() => loadConfig({ LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL/);
    expect(() => loadConfig({ CDP_ENCRYPTION_KEY: 'short' })).toThrow(/32 bytes/);
  });

  it('treats blank variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '  ', REDIS_URL: '' }).databaseUrl).toBeUndefined();
  });
});

describe('SQL identifier helper', () => {
  it('quotes and doubles embedded quotes', () => {
    expect(ident('dataset')).toBe('"dataset"');
    expect(ident('a"; drop table x; --')).toBe('"a""; drop table x; --"');
    expect(identPath('cdp_data', 'ds_1')).toBe('"cdp_data"."ds_1"');
  });

  it('refuses what PostgreSQL would truncate or cannot hold', () => {
    expect(() => ident('')).toThrow();
    expect(() => ident('a\u0000b')).toThrow(/NUL/);
    expect(() => ident('x'.repeat(64))).toThrow(/63 bytes/);
    expect(() => ident('가'.repeat(22))).toThrow(/63 bytes/); // 66 bytes in UTF-8
  });

  it('escapes LIKE wildcards', () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
  });
});

describe('cursors and ids', () => {
  it('round-trips cursors and rejects foreign ones', () => {
    expect(decodeCursor(encodeCursor('acc_123'))).toBe('acc_123');
    expect(decodeCursor(undefined)).toBeUndefined();
    expect(() => decodeCursor('!!not-a-cursor!!')).toThrow(/cursor/);
  });

  it('makes ids that sort in creation order even within one millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newId('x'));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('makes prefixed ids that sort by creation time', async () => {
    const a = newId('ns');
    await new Promise((r) => setTimeout(r, 5));
    const b = newId('ns');
    expect(a).toMatch(/^ns_[0-9a-z]{24}$/);
    expect(a < b).toBe(true);
  });
});

it('npm start, npm run worker and npm run demo start the service with its node flags (src/core/gc-tuning.ts)', () => {
  const { scripts } = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  for (const name of ['start', 'worker', 'demo']) {
    for (const flag of SERVICE_NODE_FLAGS) expect(scripts[name]).toContain(`node ${flag} dist/src/cli/main.js`);
  }
});

it("the console's default wording of the core policies is the English the API creates them with, and has Korean for each", () => {
  // The console shows a core policy that keeps its default name in the reader's language
  // (console/src/ui/policy-name.ts): it recognises the default by these English texts.
  expect(Object.keys(CORE_POLICY_TEXT).sort()).toEqual(CORE_POLICIES.map((p) => p.coreKey).sort());
  for (const p of CORE_POLICIES) {
    expect(CORE_POLICY_TEXT[p.coreKey].en).toEqual({ name: p.name, description: p.description });
    expect(CORE_POLICY_TEXT[p.coreKey].ko.name).toMatch(/[가-힣]/);
    expect(CORE_POLICY_TEXT[p.coreKey].ko.description).toMatch(/[가-힣]/);
  }
});
