/**
 * The console's frame in a real Chromium: served at / by the API process, sign in with a key
 * (kept in sessionStorage only, never in the URL), Korean for a Korean browser with a switch to
 * English, the role shown, controls the role may not use disabled with the reason; axe-clean.
 */
import type { Browser } from 'playwright-core';
import { startTestApi, TestApi } from '../helpers/harness';
import { launchBrowser, newConsole, screenshot, seriousViolations, signIn } from '../helpers/browser';

let api: TestApi;
let browser: Browser;
beforeAll(async () => {
  api = await startTestApi();
  browser = await launchBrowser();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

it('signs in, speaks Korean to a Korean browser, switches to English, and keeps the key out of the URL', async () => {
  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, api.adminToken);
  expect(page.url()).not.toContain(api.adminToken);
  await page.getByRole('link', { name: 'ID 네임스페이스' }).click();
  await page.getByRole('heading', { name: 'ID 네임스페이스' }).waitFor();
  // The standard namespaces of every account are listed, Partner ID among the types offered.
  // The list loads after the heading shows: wait for a standard namespace's row before counting.
  const table = page.getByRole('table', { name: 'ID 네임스페이스' });
  await table.getByRole('cell', { name: 'Email_LC_SHA256', exact: true }).waitFor();
  await expect(table.getByRole('row').count()).resolves.toBeGreaterThan(3);
  // Browser globals: the test process has no DOM types.
  expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual(['cdp.session']);
  expect(await page.evaluate('document.cookie')).toBe('');
  await screenshot(page, 'identities-ko');
  expect(await seriousViolations(page)).toEqual([]);

  await page.getByText('English').click();
  await page.getByRole('heading', { name: 'Identity namespaces' }).waitFor();
  await page.getByRole('button', { name: 'Create identity namespace' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Acme partner id');
  await dialog.getByLabel('Identity symbol').fill('bad symbol!');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  // The API's problem points at the field: its message shows under it.
  await page.getByText('must match pattern "^[A-Za-z0-9_.-]{1,64}$"').waitFor();
  await expect(page.getByLabel('Identity symbol').getAttribute('aria-invalid')).resolves.toBe('true');
  await screenshot(page, 'identities-create-error-en');
  await page.getByLabel('Identity symbol').fill('acmePartnerId');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.getByRole('cell', { name: 'acmePartnerId' }).waitFor();
  const listed = await api.as(api.adminToken).get('/v1/namespaces').expect(200);
  expect(listed.body.items.find((n: { code: string }) => n.code === 'acmePartnerId')).toMatchObject({ type: 'partner_id', name: 'Acme partner id' });
  await context.close();
}, 60_000);

it('shows the role and disables what the role may not do, with the reason', async () => {
  const marketer = await api.keyFor('marketer');
  const { context, page } = await newConsole(browser, 'en-US');
  await signIn(page, api.url, marketer);
  await page.getByRole('link', { name: 'Identities' }).click();
  await expect(page.getByTestId('role').textContent()).resolves.toContain('Marketer');
  const create = page.getByRole('button', { name: 'Create identity namespace' });
  await expect(create.isDisabled()).resolves.toBe(true);
  await expect(create.getAttribute('data-disabled-reason')).resolves.toMatch(/Marketer role may not do this \(needs namespaces.write\)/);
  await context.close();
}, 60_000);
