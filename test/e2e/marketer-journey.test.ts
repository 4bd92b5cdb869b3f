/**
 * The marketer's journey through the console (Adobe's prospecting flow, steps 6–8), UI only once
 * the data is in place: a data engineer connects an S3 destination (with its connection test); the
 * marketer builds an audience with the live estimate (equal to POST /v1/audiences/estimate), saves
 * and evaluates it, activates it to S3 mapping a C2-labelled field — blocked, with the violated
 * policy, the matched deny expression and the lineage as a graph and a list, Save disabled —
 * removes that field, saves, runs it, and reads run metrics equal to the API's run, with the file
 * in the S3 server. Every screen is axe-clean; Korean screenshots go to $CDP_SCREENSHOTS.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newConsole, screenshot, seriousViolations, signIn } from '../helpers/browser';
import { startTestApi, TestApi } from '../helpers/harness';
import { eventually } from '../helpers/poll';
import { prospectCsv, ProspectSetup, setUpProspects } from '../helpers/prospects';
import { startS3Server, TestS3Server } from '../setup/s3-server';

let api: TestApi;
let browser: Browser;
let s3: TestS3Server;
let p: ProspectSetup;
let marketer: string;

const CITIES = ['Seoul', 'Busan', 'Daegu'];
const people = Array.from({ length: 36 }, (_, i) => ({ id: `M${i}`, city: CITIES[i % 3], age: 20 + i, email: `m${i}@example.com`, firstName: `이름${i}` }));

beforeAll(async () => {
  api = await startTestApi();
  browser = await launchBrowser();
  s3 = await startS3Server();
  await s3.createBucket('exports');
  // Set-up through the API, as README's first session and src/demo/flow.ts do it.
  p = await setUpProspects(api, 'Mkt');
  await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(prospectCsv(people)).expect(201);
  const governance = await api.keyFor('governance');
  await api.as(governance).post(`/v1/schemas/${p.schemaId}/labels`, { labels: ['THIRD_PARTY'], fields: '*' }).expect(200);
  await api.as(governance).post(`/v1/schemas/${p.schemaId}/labels`, { labels: ['C2'], fields: ['personalEmail.address'] }).expect(200);
  const policies = (await api.as(governance).get('/v1/policies').expect(200)).body.items as { id: string; name: string; status: string; deny: unknown }[];
  const c2 = policies.find((x) => JSON.stringify(x.deny) === JSON.stringify({ label: 'C2' }))!;
  if (c2.status !== 'ENABLED') await api.as(governance).patch(`/v1/policies/${c2.id}`, { status: 'ENABLED' }).expect(200);
  marketer = await api.keyFor('marketer');
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await s3?.stop();
  await api?.close();
});

async function axeClean(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect({ name, violations: await seriousViolations(page) }).toEqual({ name, violations: [] });
}

async function text(page: Page, testId: string): Promise<string> {
  return ((await page.getByTestId(testId).first().textContent()) ?? '').trim();
}

/** Korean numbers as the console writes them (1,234) → 1234. */
const num = (s: string) => Number(s.replace(/[^\d-]/g, ''));

it('a data engineer connects S3 with a connection test; the marketer may not', async () => {
  const engineer = await newConsole(browser, 'ko-KR');
  await signIn(engineer.page, api.url, p.token);
  const page = engineer.page;
  await page.getByRole('link', { name: '대상', exact: true }).click();
  await page.getByTestId('catalog-s3').waitFor();
  await axeClean(page, 'destinations-catalog-ko');
  await page.getByRole('button', { name: 'Amazon S3: 대상 연결' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('textbox', { name: '이름', exact: true }).fill('Local S3');
  await dialog.getByLabel('버킷 이름').fill('exports');
  await dialog.getByLabel('리전').fill(s3.region);
  await dialog.getByLabel('폴더 경로 (접두사)').fill('marketer/');
  await dialog.getByLabel('엔드포인트 (S3 호환 저장소)').fill(s3.endpoint);
  await dialog.getByLabel('액세스 키 ID').fill(s3.accessKeyId);
  await dialog.getByLabel('보안 액세스 키').fill(s3.secretAccessKey);
  await expect(dialog.getByTestId('file-name-preview').textContent()).resolves.toMatch(/^Local_S3_segmentaud_0123456789_\d{14}\.csv\.gz$/);
  await axeClean(page, 'destination-create-ko');
  await dialog.getByRole('button', { name: '저장 후 연결 테스트' }).click();
  await dialog.getByText('연결 성공').waitFor();
  await axeClean(page, 'destination-test-ok-ko');
  await dialog.getByRole('button', { name: '대상 보기' }).click();
  await page.getByRole('heading', { name: 'Local S3' }).waitFor();
  await axeClean(page, 'destination-detail-ko');
  await engineer.context.close();

  const m = await newConsole(browser, 'ko-KR');
  await signIn(m.page, api.url, marketer);
  await m.page.getByRole('link', { name: '대상', exact: true }).click();
  const connect = m.page.getByRole('button', { name: 'Amazon S3: 대상 연결' });
  await expect(connect.isDisabled()).resolves.toBe(true);
  await expect(connect.getAttribute('data-disabled-reason')).resolves.toContain('destinations.write');
  await m.context.close();
}, 90_000);

it('the marketer builds, evaluates and activates an audience; C2 blocks with lineage until the field is removed; the run lands in S3', async () => {
  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, marketer);

  // ---- Segment builder with the live estimate
  await page.getByRole('link', { name: '대상자', exact: true }).click();
  await page.getByRole('heading', { name: '대상자' }).waitFor();
  await axeClean(page, 'audiences-empty-ko');
  await page.getByRole('button', { name: '대상자 만들기' }).click();
  await page.getByRole('heading', { name: '세그먼트 빌더' }).waitFor();
  await page.getByLabel('속성 검색').fill('city');
  await page.getByTestId('attribute-homeAddress.city').click();
  await page.getByLabel('homeAddress.city 값').fill('Seoul');
  await page.getByLabel('속성 검색').fill('age');
  await page.getByTestId('attribute-consumer.age').click();
  await page.getByRole('combobox', { name: 'consumer.age 연산자' }).click();
  await page.getByRole('option', { name: '이상 (≥)' }).click();
  await page.getByLabel('consumer.age 값').fill('30');
  // The text mode shows the canvas as PQL; the shown estimate is the API's for that rule.
  await page.getByRole('tab', { name: '텍스트 (PQL)' }).click();
  const rule = await page.getByTestId('rule-text').inputValue();
  expect(rule).toBe('homeAddress.city = "Seoul" and consumer.age >= 30');
  const expected = (await api.as(marketer).post('/v1/audiences/estimate', { rule }).expect(200)).body;
  expect(expected.size).toBe(people.filter((x) => x.city === 'Seoul' && x.age >= 30).length);
  await eventually(async () => num(await text(page, 'estimate-size')) === expected.size, 'the estimate shown');
  await expect(page.getByTestId('estimate-sample').getByRole('listitem').count()).resolves.toBe(Math.min(10, expected.size));
  // Typing in text mode is parsed by the API back onto the canvas.
  await page.getByTestId('rule-text').fill('homeAddress.city = "Seoul" and consumer.age >= 40');
  const narrower = (await api.as(marketer).post('/v1/audiences/estimate', { rule: 'homeAddress.city = "Seoul" and consumer.age >= 40' }).expect(200)).body.size;
  await eventually(async () => num(await text(page, 'estimate-size')) === narrower, 'the estimate of the typed rule');
  await page.getByRole('tab', { name: '시각적 편집' }).click();
  await expect(page.getByLabel('consumer.age 값').inputValue()).resolves.toBe('40');
  await page.getByLabel('consumer.age 값').fill('30');
  await eventually(async () => num(await text(page, 'estimate-size')) === expected.size, 'the estimate after editing the canvas again');
  // The API's problems show where they point: a text rule's syntax under the text, a condition's on its row.
  await page.getByRole('tab', { name: '텍스트 (PQL)' }).click();
  await page.getByTestId('rule-text').fill('homeAddress.city = ');
  await eventually(async () => (await page.getByTestId('rule-text').getAttribute('aria-invalid')) === 'true', 'the syntax error on the text');
  await expect(page.getByText(/line 1, column/).first().isVisible()).resolves.toBe(true);
  await page.getByRole('tab', { name: '시각적 편집' }).click();
  await page.getByLabel('속성 검색').fill('firstName');
  await page.getByTestId('attribute-person.name.firstName').click();
  await page.getByRole('combobox', { name: 'person.name.firstName 연산자' }).click();
  await page.getByRole('option', { name: '정규식 일치' }).click();
  await page.getByLabel('person.name.firstName 값').fill('a{256}');
  await page.getByTestId('condition-person.name.firstName').getByTestId('condition-error').waitFor();
  await screenshot(page, 'audience-builder-error-ko');
  await page.getByRole('button', { name: 'person.name.firstName: 조건 삭제' }).click();
  await eventually(async () => num(await text(page, 'estimate-size')) === expected.size, 'the estimate once the bad condition is gone');
  await page.getByLabel('대상자 이름').fill('서울 30세 이상');
  await axeClean(page, 'audience-builder-ko');
  await page.getByRole('button', { name: '게시' }).click();

  // ---- Save and evaluate
  await page.getByRole('heading', { name: '서울 30세 이상' }).waitFor();
  const audienceId = page.url().split('/audiences/')[1];
  await page.getByRole('button', { name: '지금 평가' }).click();
  await page.getByTestId('evaluation-chart').waitFor({ timeout: 20_000 });
  const evaluations = (await api.as(marketer).get(`/v1/audiences/${audienceId}/evaluations`).expect(200)).body.items;
  expect(evaluations[0]).toMatchObject({ status: 'success', counts: { members: expected.size, entered: expected.size, exited: 0 } });
  await eventually(async () => num(await text(page, 'audience-size')) === expected.size, 'the evaluated size');
  await axeClean(page, 'audience-detail-ko');
  // Edit draws the saved rule back on the canvas with its estimate.
  await page.getByRole('button', { name: '편집' }).click();
  await page.getByRole('heading', { name: '대상자 편집' }).waitFor();
  await expect(page.getByLabel('consumer.age 값').inputValue()).resolves.toBe('30');
  await expect(page.getByLabel('homeAddress.city 값').inputValue()).resolves.toBe('Seoul');
  await eventually(async () => num(await text(page, 'estimate-size')) === expected.size, 'the estimate of the saved rule');

  // ---- Activation wizard: destination → audiences → schedule and file name → mapping → review
  await page.getByRole('link', { name: '활성화 및 실행' }).click();
  await page.getByRole('button', { name: '대상자 활성화' }).click();
  await page.getByRole('radio', { name: 'Local S3 선택' }).check();
  await axeClean(page, 'activation-wizard-destination-ko');
  await page.getByRole('button', { name: '다음' }).click();
  await page.getByRole('checkbox', { name: '서울 30세 이상 선택' }).check();
  await page.getByRole('button', { name: '다음' }).click();
  await expect(page.getByTestId('file-name-preview').textContent()).resolves.toMatch(new RegExp(`^Local_S3_segment${audienceId}_\\d{14}\\.csv\\.gz$`));
  await axeClean(page, 'activation-wizard-schedule-ko');
  await page.getByRole('button', { name: '다음' }).click();
  await expect(page.getByRole('combobox', { name: 'ID 네임스페이스' }).inputValue()).resolves.toContain(p.namespaceCode);
  await page.getByRole('button', { name: '속성 추가' }).click();
  await page.getByRole('combobox', { name: '소스 필드 1' }).click();
  await page.getByRole('option', { name: 'homeAddress.city' }).click();
  await page.getByLabel('homeAddress.city: 필수 속성').check();
  await page.getByRole('button', { name: '속성 추가' }).click();
  await page.getByRole('combobox', { name: '소스 필드 2' }).click();
  await page.getByRole('option', { name: 'personalEmail.address' }).click();
  await page.getByLabel('대상 열 2').fill('email');
  await axeClean(page, 'activation-wizard-mapping-ko');
  await page.getByRole('button', { name: '다음' }).click();

  // ---- Review: blocked by C2, with the lineage as a path and a list, Save disabled
  await page.getByTestId('policy-violations').waitFor();
  await expect(page.getByTestId('violated-policy').first().textContent()).resolves.toContain('C2');
  await expect(text(page, 'matched-expression')).resolves.toBe('C2');
  await expect(page.getByRole('button', { name: '저장' }).isDisabled()).resolves.toBe(true);
  const graph = page.getByTestId('lineage-graph');
  for (const kind of ['dataset', 'field', 'audience', 'activation', 'destination']) await graph.getByTestId(`lineage-node-${kind}`).first().waitFor();
  await expect(graph.getByTestId('lineage-node-field').filter({ hasText: 'personalEmail.address' }).count()).resolves.toBe(1);
  await expect(graph.getByRole('link', { name: 'Prospects Mkt' }).getAttribute('href')).resolves.toBe(`/datasets/${p.datasetId}`);
  await expect(graph.getByRole('link', { name: 'personalEmail.address' }).getAttribute('href')).resolves.toBe(`/schemas/${p.schemaId}/labels`);
  await expect(graph.getByRole('link', { name: '서울 30세 이상' }).getAttribute('href')).resolves.toBe(`/audiences/${audienceId}`);
  await axeClean(page, 'activation-review-blocked-graph-ko');
  await page.getByRole('tab', { name: '목록 보기' }).click();
  const row = page.getByTestId('lineage-list').getByRole('row').filter({ hasText: 'personalEmail.address' });
  await row.first().waitFor();
  await expect(row.first().getByRole('link', { name: 'Local S3' }).getAttribute('href')).resolves.toMatch(/^\/destinations\/dest_/);
  await axeClean(page, 'activation-review-blocked-list-ko');

  // ---- Remove the C2 field: the review passes with the dry-run's counts and file names
  await page.getByRole('button', { name: '이전' }).click();
  await page.getByRole('button', { name: 'personalEmail.address: 속성 삭제' }).click();
  const dryRequest = page.waitForRequest((r) => r.url().endsWith('/v1/activations/dry-run'));
  await page.getByRole('button', { name: '다음' }).click();
  const body = JSON.parse((await dryRequest).postData()!);
  expect(body.mapping.attributes).toEqual([{ field: 'homeAddress.city', column: 'city' }]);
  const dry = (await api.as(marketer).post('/v1/activations/dry-run', body).expect(200)).body;
  expect(dry.verdict.allowed).toBe(true);
  await page.getByTestId('verdict-allowed').waitFor();
  for (const k of ['received', 'activated', 'excludedMandatory', 'excludedDuplicates']) expect([k, num(await text(page, `dry-${k}`))]).toEqual([k, dry.counts[k]]);
  await expect(page.getByTestId('dry-files').textContent()).resolves.toMatch(new RegExp(`Local_S3_segment${audienceId}_\\d{14}\\.csv\\.gz`));
  await axeClean(page, 'activation-review-ok-ko');
  await page.getByRole('button', { name: '저장' }).click();

  // ---- Run now with live status; the shown metrics are the API's run; the file is in S3
  await page.getByRole('button', { name: '지금 실행' }).waitFor();
  const activationId = page.url().split('/activations/')[1];
  await page.getByRole('button', { name: '지금 실행' }).click();
  await page.getByTestId('run-status').filter({ hasText: '성공' }).waitFor({ timeout: 30_000 });
  const [run] = (await api.as(marketer).get(`/v1/activations/${activationId}/runs`).expect(200)).body.items;
  expect(run).toMatchObject({ status: 'success', counts: { received: dry.counts.received, activated: dry.counts.activated } });
  expect(num(await text(page, 'run-received'))).toBe(run.counts.received);
  expect(num(await text(page, 'run-activated'))).toBe(run.counts.activated);
  expect(num(await text(page, 'run-excluded'))).toBe(run.counts.excludedMandatory + run.counts.excludedDuplicates);
  expect(num(await text(page, 'run-failed'))).toBe(run.counts.failed);
  expect(num(await text(page, 'run-file-rows'))).toBe(run.files[0].rows);
  const listed = await s3.client().send(new ListObjectsV2Command({ Bucket: 'exports', Prefix: 'marketer/' }));
  expect((listed.Contents ?? []).map((o) => o.Key)).toContain(run.files[0].path);
  await axeClean(page, 'activation-detail-ko');
  await context.close();
}, 180_000);
