/**
 * Audience insights in the console (issue 16 §3), Korean: the audience list's 중복 비교 of two
 * evaluated audiences, an audience's 인사이트 (프로필 보기 with attributes, 네임스페이스별 and
 * 속성별 분포 — top values and a histogram) and the Segment Builder's insights of a typed rule.
 * Every number shown equals the API's answer for the same question; every screen is axe-clean;
 * screenshots go to $CDP_SCREENSHOTS.
 */
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newConsole, screenshot, seriousViolations, signIn } from '../helpers/browser';
import { startTestApi, TestApi } from '../helpers/harness';
import { eventually } from '../helpers/poll';
import { prospectCsv, setUpProspects } from '../helpers/prospects';

let api: TestApi;
let browser: Browser;
let marketer: string;
const ids: Record<string, string> = {};

const CITIES = ['Seoul', 'Busan', 'Daegu', 'Incheon'];
const vendorA = Array.from({ length: 48 }, (_, i) => ({ id: `A${i}`, city: i % 9 === 0 ? undefined : CITIES[i % 4], age: i % 7 === 0 ? undefined : 20 + ((i * 5) % 45), firstName: `가${i}` }));
const vendorB = Array.from({ length: 20 }, (_, i) => ({ id: `B${i}`, city: CITIES[(i + 1) % 4], age: 25 + i, firstName: `나${i}` }));

async function evaluated(name: string, rule: string): Promise<string> {
  const a = (await api.as(marketer).post('/v1/audiences', { name, rule, status: 'published' }).expect(201)).body;
  const ev = (await api.as(marketer).post(`/v1/audiences/${a.id}/evaluations`, {}).expect(202)).body;
  await eventually(async () => (await api.as(marketer).get(`/v1/audiences/${a.id}/evaluations/${ev.id}`).expect(200)).body.status === 'success', 'the evaluation');
  return a.id;
}

beforeAll(async () => {
  api = await startTestApi();
  browser = await launchBrowser();
  const a = await setUpProspects(api, 'Ia');
  const b = await setUpProspects(api, 'Ib', { token: a.token });
  await api.as(a.token).post(`/v1/datasets/${a.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(vendorA)).expect(201);
  await api.as(a.token).post(`/v1/datasets/${b.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(vendorB)).expect(201);
  marketer = await api.keyFor('marketer');
  ids.seoul = await evaluated('서울 거주', 'homeAddress.city = "Seoul" or homeAddress.city = "Busan"');
  ids.over40 = await evaluated('40세 이상', 'consumer.age >= 40');
  ids.young = await evaluated('30세 미만', 'consumer.age < 30');
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

async function axeClean(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect({ name, violations: await seriousViolations(page) }).toEqual({ name, violations: [] });
}

/** The `data-count` of every row of a table, by its first cell's text. */
async function counts(page: Page, testId: string): Promise<Record<string, number>> {
  const rows = page.getByTestId(testId).locator('tbody tr');
  const out: Record<string, number> = {};
  for (let i = 0; i < (await rows.count()); i++) {
    const row = rows.nth(i);
    if ((await row.locator('[data-count]').count()) === 0) continue;
    const count = await row.locator('[data-count]').getAttribute('data-count');
    if (count !== null) out[((await row.locator('td').first().textContent()) ?? '').trim()] = Number(count);
  }
  return out;
}

/** What the sample table shows: identity → the cells' text. */
async function sampleShown(page: Page): Promise<{ fields: string[]; rows: Record<string, string[]> }> {
  const table = page.getByTestId('insights-sample');
  const fields = (await table.locator('th[title]').evaluateAll((ths) => ths.map((th) => th.getAttribute('title') ?? ''))) as string[];
  const rows: Record<string, string[]> = {};
  for (const row of await table.locator('tbody tr').all()) {
    const cells = (await row.locator('td').allTextContents()).map((c) => c.trim());
    rows[(await row.getAttribute('data-identity')) ?? ''] = cells.slice(2);
  }
  return { fields, rows };
}

const shownValue = (v: unknown) => (v === null ? '—' : typeof v === 'boolean' ? (v ? '예' : '아니요') : typeof v === 'number' ? new Intl.NumberFormat('ko').format(v) : String(v));

it('compares 2 and 3 audiences: every region as the API counts it', async () => {
  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, marketer);
  await page.getByRole('link', { name: '대상자', exact: true }).click();
  await page.getByRole('heading', { name: '대상자' }).waitFor();
  await page.getByRole('checkbox', { name: '서울 거주 선택' }).check();
  await page.getByRole('checkbox', { name: '40세 이상 선택' }).check();
  await page.getByTestId('overlap-action').click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('overlap-regions').waitFor();
  const api2 = (await api.as(marketer).post('/v1/audiences/overlap', { audienceIds: [ids.seoul, ids.over40] }).expect(200)).body;
  expect(await counts(page, 'overlap-regions')).toEqual({ 'A만': api2.regions[0].count, 'B만': api2.regions[1].count, 'A ∩ B': api2.regions[2].count, '합집합': api2.union });
  expect(api2.regions[2].count).toBeGreaterThan(0);
  await axeClean(page, 'audience-overlap-2-ko');
  await dialog.getByRole('button').first().click(); // close
  await page.getByRole('checkbox', { name: '30세 미만 선택' }).check();
  await page.getByTestId('overlap-action').click();
  await page.getByRole('dialog').getByTestId('overlap-regions').waitFor();
  const api3 = (await api.as(marketer).post('/v1/audiences/overlap', { audienceIds: [ids.seoul, ids.over40, ids.young] }).expect(200)).body;
  const shown = await counts(page, 'overlap-regions');
  expect(Object.keys(shown)).toHaveLength(8);
  expect(Object.values(shown).slice(0, 7)).toEqual(api3.regions.map((r: { count: number }) => r.count));
  expect(shown['합집합']).toBe(api3.union);
  await axeClean(page, 'audience-overlap-3-ko');
  await context.close();
}, 90_000);

it("shows an audience's insights: sample with attributes, namespaces, top values and a histogram", async () => {
  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, marketer);
  await page.getByRole('link', { name: '대상자', exact: true }).click();
  await page.getByRole('link', { name: '서울 거주' }).click();
  await page.getByRole('heading', { name: '인사이트' }).waitFor();
  await page.getByTestId('insights-sample').waitFor();
  await page.getByTestId('breakdown-attribute').waitFor();

  const shown = await sampleShown(page);
  expect(shown.fields[0]).toBe('homeAddress.city'); // the rule's field first
  const sample = (await api.as(marketer).post(`/v1/audiences/${ids.seoul}/sample`, { fields: shown.fields, limit: 10 }).expect(200)).body;
  expect(Object.keys(shown.rows)).toHaveLength(10);
  expect(shown.rows).toEqual(Object.fromEntries(sample.items.map((p: { namespace: { code: string }; identity: string; attributes: Record<string, unknown> }) => [`${p.namespace.code}:${p.identity}`, shown.fields.map((f) => shownValue(p.attributes[f]))])));

  const cities = (await api.as(marketer).post(`/v1/audiences/${ids.seoul}/breakdown`, { field: 'homeAddress.city' }).expect(200)).body;
  expect(await counts(page, 'breakdown-namespaces')).toEqual(Object.fromEntries(cities.byNamespace.map((n: { namespace: { code: string }; count: number }) => [n.namespace.code, n.count])));
  expect(Object.keys(await counts(page, 'breakdown-namespaces'))).toHaveLength(2);
  expect(await counts(page, 'breakdown-attribute')).toEqual(Object.fromEntries(cities.attribute.values.map((v: { value: string; count: number }) => [v.value, v.count])));
  await axeClean(page, 'audience-insights-values-ko');

  await page.getByRole('combobox', { name: '속성별 분포' }).click();
  await page.getByRole('option', { name: /\(consumer\.age\)/ }).click();
  const ages = (await api.as(marketer).post(`/v1/audiences/${ids.seoul}/breakdown`, { field: 'consumer.age' }).expect(200)).body;
  const expected: Record<string, number> = Object.fromEntries(ages.attribute.bins.map((b: { from: number; to: number; count: number }) => [`${b.from}–${b.to}`, b.count]));
  if (ages.attribute.nulls) expected['값 없음'] = ages.attribute.nulls;
  await eventually(async () => JSON.stringify(await counts(page, 'breakdown-attribute')) === JSON.stringify(expected), 'the age histogram');
  expect(ages.attribute.nulls).toBeGreaterThan(0);
  expect(await page.getByTestId('breakdown-summary').textContent()).toBe(`최솟값 ${ages.attribute.min} · 최댓값 ${ages.attribute.max}`);
  await axeClean(page, 'audience-insights-histogram-ko');
  await context.close();
}, 90_000);

it("shows the Segment Builder's insights of the rule being written", async () => {
  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, marketer);
  await page.getByRole('link', { name: '대상자', exact: true }).click();
  await page.getByRole('button', { name: '대상자 만들기' }).click();
  await page.getByRole('heading', { name: '세그먼트 빌더' }).waitFor();
  await page.getByRole('tab', { name: '텍스트 (PQL)' }).click();
  const rule = 'consumer.age >= 30 and homeAddress.city != "Daegu"';
  await page.getByTestId('rule-text').fill(rule);
  await page.getByTestId('insights-sample').waitFor();
  const api1 = (await api.as(marketer).post('/v1/audiences/breakdown', { rule, field: 'consumer.age' }).expect(200)).body;
  await eventually(async () => Object.values(await counts(page, 'breakdown-namespaces')).reduce((s, n) => s + n, 0) === api1.total, 'the namespace counts');
  expect(await counts(page, 'breakdown-namespaces')).toEqual(Object.fromEntries(api1.byNamespace.map((n: { namespace: { code: string }; count: number }) => [n.namespace.code, n.count])));
  expect(await counts(page, 'breakdown-attribute')).toEqual(Object.fromEntries(api1.attribute.bins.map((b: { from: number; to: number; count: number }) => [`${b.from}–${b.to}`, b.count])));
  const shown = await sampleShown(page);
  const sample = (await api.as(marketer).post('/v1/audiences/sample', { rule, fields: shown.fields, limit: 10 }).expect(200)).body;
  expect(Object.keys(shown.rows).sort()).toEqual(sample.items.map((p: { namespace: { code: string }; identity: string }) => `${p.namespace.code}:${p.identity}`).sort());
  await axeClean(page, 'segment-builder-insights-ko');
  await context.close();
}, 90_000);
