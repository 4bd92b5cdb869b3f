/**
 * The console as a person uses it: Debian's Chromium driven by playwright-core (headless, with the
 * flags that keep it off this closed network), against the real service of a test database.
 * Screenshots go to $CDP_SCREENSHOTS (default: a temporary folder) for a person to look at.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Browser, BrowserContext, chromium, Page } from 'playwright-core';

export const CHROMIUM = process.env.CDP_CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

export const SCREENSHOTS = process.env.CDP_SCREENSHOTS ?? fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-screens-'));

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** A fresh context (its own sessionStorage) in the given language. */
export async function newConsole(browser: Browser, locale: 'ko-KR' | 'en-US' = 'ko-KR'): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ locale, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  return { context, page };
}

/** Signs in through the sign-in card, as a user would paste the key. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(url);
  await page.getByTestId('api-key').fill(key);
  await page.getByRole('button', { name: /로그인|Sign in/ }).click();
  await page.getByTestId('role').waitFor();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** axe-core in the page: the serious and critical violations (none is the bar). */
export async function seriousViolations(page: Page): Promise<{ id: string; impact: string; help: string; nodes: string[] }[]> {
  // Evaluated through the DevTools protocol: the console's CSP (no inline scripts) stays on.
  await page.evaluate(fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  // An expression, not a function: the test process has no DOM types (the page has axe now).
  // With a modal open, the page behind its overlay is inert (aria-modal): check what a person can reach;
  // the page itself is checked on its own screen (axe would otherwise judge contrast through the overlay).
  const result = (await page.evaluate("axe.run(document.querySelector('[aria-modal=\"true\"]') ?? document, { resultTypes: ['violations'] })")) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) }));
}
