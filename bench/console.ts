/**
 * The console in Debian's Chromium (playwright-core, headless) against the real service:
 * - first screen: sign-in submitted → the first screen (Datasets) drawn, median of fresh browser
 *   contexts (cold cache each), vs fetching index.html and its entry assets over the same loopback
 *   (the bytes alone, nothing parsed or drawn). Goal: ≤ 1 s.
 * - estimate: a rule typed in the Segment Builder's text mode → the estimate it shows equals the
 *   API's, median over rule changes, vs `POST /v1/audiences/estimate` of the same rules straight to
 *   the API. The builder waits 400 ms after the last keystroke before asking (debounce), which the
 *   figure includes. Goal: ≤ 1 s at 1M profiles.
 * - initial JavaScript: gzip size of the entry script and CSS that index.html loads. Goal ≤ 300 KB.
 * Set-up (not measured): profiles generated and loaded through POST /v1/datasets/{id}/data.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { prospectCsvStream } from '../src/demo/generate';
import { consoleDir } from '../src/http/console';
import { launchBrowser, newConsole, signIn } from '../test/helpers/browser';
import { BenchResult, fmtInt, fmtSec, prospectDataset, say, Size, sized, startStack } from './harness';

const PROFILES: Record<Size, number> = { small: 100_000, full: 1_000_000 };
const LOAD_BATCH = 1_000_000;
const RUNS = 5;
const RULES = [
  'homeAddress.city = "Seoul" and consumer.age >= 30',
  'homeAddress.city = "Busan" and consumer.age >= 40',
  'homeAddress.city in ["Seoul", "Incheon"] and consumer.income >= 50000000',
  'consumer.carOwner = true and consumer.age < 35',
  'homeAddress.city = "Daegu"',
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function entryAssets(): { files: string[]; gzipBytes: number } {
  const dir = consoleDir();
  const html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1]);
  const gzipBytes = files.reduce((n, f) => n + gzipSync(fs.readFileSync(path.join(dir, f))).length, 0);
  return { files, gzipBytes };
}

async function shownEstimate(page: Page, expected: number): Promise<void> {
  // A function (sent over the DevTools protocol; the console's CSP forbids eval): the digits of the
  // shown size equal the API's. globalThis: the bench process has no DOM types.
  await page.waitForFunction(
    (want: string) => ((globalThis as any).document.querySelector('[data-testid="estimate-size"]')?.textContent ?? '').replace(/[^0-9]/g, '') === want,
    String(expected),
    { polling: 'raf', timeout: 60_000 },
  );
}

export async function runConsole(size: Size): Promise<BenchResult[]> {
  const profiles = sized('BENCH_CONSOLE_PROFILES', PROFILES, size);
  const stack = await startStack();
  const { api } = stack;
  const browser = await launchBrowser();
  try {
    const ds = await prospectDataset(api, Date.now().toString(36));
    for (let loaded = 0, part = 0; loaded < profiles; part++) {
      const n = Math.min(LOAD_BATCH, profiles - loaded);
      const batch = await api.upload(`/v1/datasets/${ds.datasetId}/data?format=csv&fileName=console_${part}.csv`, prospectCsvStream(n, 300 + part, `CON${part}`), 'text/csv');
      if (batch.status !== 'success') throw new Error(`set-up load failed: ${JSON.stringify(batch).slice(0, 300)}`);
      loaded += n;
    }
    await stack.pg.query('analyze');
    say(`console: ${fmtInt(profiles)} profiles loaded — set-up, not measured`);

    // ---- first screen
    const assets = entryAssets();
    const firstScreen: number[] = [];
    const bytesOnly: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      await (await fetch(`${stack.url}/`, { headers: { accept: 'text/html' } })).text();
      for (const f of assets.files) await (await fetch(`${stack.url}${f}`)).arrayBuffer();
      bytesOnly.push(performance.now() - t0);
      const { context, page } = await newConsole(browser, 'ko-KR');
      await page.goto(stack.url);
      await page.getByTestId('api-key').fill(stack.token);
      const t1 = performance.now();
      await page.getByRole('button', { name: '로그인' }).click();
      await page.getByRole('heading', { name: '데이터 세트' }).first().waitFor();
      firstScreen.push(performance.now() - t1);
      await context.close();
    }

    // ---- estimate after the last keystroke
    const { context, page } = await newConsole(browser, 'ko-KR');
    await signIn(page, stack.url, stack.token);
    await page.goto(`${stack.url}/audiences/new`);
    await page.getByRole('tab', { name: '텍스트 (PQL)' }).click();
    const shown: number[] = [];
    const direct: number[] = [];
    for (const rule of RULES) {
      const t0 = performance.now();
      const expected = (await api.post('/v1/audiences/estimate', { rule })) as { size: number };
      direct.push(performance.now() - t0);
      await page.getByTestId('rule-text').fill(rule);
      const t1 = performance.now();
      await shownEstimate(page, expected.size);
      shown.push(performance.now() - t1);
    }
    await context.close();

    const fs1 = median(firstScreen);
    const est = median(shown);
    const kb = assets.gzipBytes / 1024;
    const rss = process.memoryUsage().rss / 2 ** 20;
    return [
      {
        name: 'console-first-screen',
        workload: `sign-in → Datasets drawn in Chromium, median of ${RUNS} fresh contexts; initial JavaScript + CSS ${kb.toFixed(0)} KB gzip (${assets.files.length} files)`,
        size: `${fmtInt(profiles)} profiles`,
        project: { what: 'sign in through the console, first screen drawn', ms: fs1, peakRssMb: rss },
        baseline: { what: 'index.html and its entry assets fetched over loopback (bytes only)', ms: median(bytesOnly), peakRssMb: rss },
        ratioKind: 'time',
        ratio: fs1 / median(bytesOnly),
        goal: '≤ 1 s; initial JS ≤ 300 KB gzip',
        checks: [
          { label: 'first screen ≤ 1 s', ok: fs1 <= 1000, actual: fmtSec(fs1) },
          { label: 'initial JS ≤ 300 KB gzip', ok: kb <= 300, actual: `${kb.toFixed(0)} KB` },
        ],
        details: [`first screen runs: ${firstScreen.map((m) => fmtSec(m)).join(', ')}`, `entry files: ${assets.files.join(', ')}`],
      },
      {
        name: 'console-estimate',
        workload: `rule typed in the Segment Builder → the API's estimate shown, median of ${RULES.length} rules (includes the 400 ms debounce)`,
        size: `${fmtInt(profiles)} profiles`,
        project: { what: 'last keystroke → estimate drawn', ms: est, peakRssMb: rss },
        baseline: { what: 'POST /v1/audiences/estimate of the same rules', ms: median(direct), peakRssMb: rss },
        ratioKind: 'time',
        ratio: est / median(direct),
        goal: '≤ 1 s after the last keystroke',
        checks: [{ label: 'estimate shown ≤ 1 s', ok: est <= 1000, actual: fmtSec(est) }],
        details: [`shown: ${shown.map((m) => fmtSec(m)).join(', ')}; API alone: ${direct.map((m) => fmtSec(m)).join(', ')}`],
      },
    ];
  } finally {
    await browser.close();
    await stack.close();
  }
}
