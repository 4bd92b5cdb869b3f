/**
 * 타겟 관리 > 고객파일 and 유사타겟, as a Kakao Moment advertiser uses them, in Korean, through the UI:
 *
 * - the API loads what the advertiser does not do in this console: a universe of 12,500 app members
 *   (people with an ADID), pixel purchases that make 4,000 of them alike, and later a display ad
 *   group that targets the customer file;
 * - 고객파일 등록하기: a file over 200 MB is refused before a byte is sent, with the reason; the
 *   template downloads; a generated file of 2,400 of the alike members' ADIDs with a 메모 column,
 *   5 bad rows and 12 repeated ADIDs shows 성공 / 실패 / 중복 and the ignored column as the API
 *   counted them; the failed rows download; saved, its 타겟 모수 goes 준비중 → the API's number;
 * - a second, small file (300) is registered after its name clashed with the first (the clash on
 *   the field); in 유사타겟 만들기 it is greyed with its size and why, the first is chosen, 10 % is
 *   picked, and the lookalike becomes 사용가능 with its AUC in words; the file's 타겟 사용 현황 lists
 *   the lookalike and the ad group, and deleting it is refused with that list.
 * axe reports no serious or critical violation on any of these screens; screenshots of each step.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newConsole, screenshot, seriousViolations, signIn } from '../helpers/browser';
import { startTestApi, TestApi } from '../helpers/harness';
import { eventually } from '../helpers/poll';
import { loadPeople } from '../helpers/universe';

const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const PEOPLE = 12_500;
const ALIKE = 4000; // people 0..3999 buy 2–4 times; the others at most once
const SEED = 2400;
const SMALL = 300;
const BAD_ROWS = ['not-an-adid,잘못된 값', '00000000-0000-0000-0000-000000000000,광고 추적 제한', '3f1b2c4d5e6f4a7b8c9d0e1f2a3b4c5d,하이픈 없음', ',빈 값', `${ADID(9999)},메모,쉼표가 들어간 메모`];
const REPEATED = 12;

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

async function axeClean(page: Page): Promise<void> {
  expect(await seriousViolations(page)).toEqual([]);
}

const exact = (label: string) => new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*\\*?$`);

/** Every ADID of the seed file, then bad rows and repeats spread through it, with a memo column. */
function seedFile(): string {
  const lines = ['adid,메모'];
  for (let n = 0; n < SEED; n++) {
    lines.push(`${ADID(n)},VIP ${n}`);
    if (n % 400 === 7 && (n - 7) / 400 < BAD_ROWS.length) lines.push(BAD_ROWS[(n - 7) / 400]);
    if (n % 200 === 100) lines.push(`${ADID(n)},다시 들어간 행`);
  }
  return lines.join('\r\n') + '\r\n';
}

it('registers customer files, builds a lookalike from one, and refuses to delete what is used', async () => {
  const as = api.as(api.adminToken);
  // ---- What the advertiser's app and pixel produced (API): members, and purchases of the alike
  await loadPeople(api, api.adminToken, Array.from({ length: PEOPLE }, (_, n) => ({ adid: ADID(n) })));
  const tracker = (await as.post('/v1/trackers', { name: '쇼핑몰 픽셀' }).expect(201)).body;
  const events: object[] = [];
  for (let n = 0; n < PEOPLE; n++) {
    const times = n < ALIKE ? 2 + (n % 3) : n % 10 === 0 ? 1 : 0;
    for (let i = 0; i < times; i++) events.push({ event: 'purchase', adid: ADID(n) });
  }
  for (let i = 0; i < events.length; i += 1000) await as.post(`/v1/collect/${tracker.trackId}`, { events: events.slice(i, i + 1000) }).expect(202);

  const file = seedFile();
  const expected = { received: SEED + BAD_ROWS.length + REPEATED, succeeded: SEED, failed: BAD_ROWS.length, duplicates: REPEATED };
  expect(file.split('\r\n').length - 2).toBe(expected.received);

  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, api.adminToken);
  await page.getByRole('link', { name: '타겟 관리' }).click();
  await page.getByRole('tab', { name: '고객파일' }).click();
  await page.getByRole('table', { name: '고객파일 목록' }).waitFor();
  await expect(page.getByTestId('target-limit').textContent()).resolves.toBe('0 / 30');
  await screenshot(page, 'cf-list-empty-ko');
  await axeClean(page);

  // ---- ① 등록: too large refused before sending; the template; the file with progress
  await page.getByRole('button', { name: '+ 고객파일 등록하기' }).click();
  const dialog = page.getByRole('dialog');
  const uploads: string[] = [];
  page.on('request', (r) => { if (r.url().includes('/customer-files/uploads')) uploads.push(r.url()); });
  const big = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cf-')), 'too_big.csv');
  fs.writeFileSync(big, 'adid\n');
  fs.truncateSync(big, 201 * 1024 * 1024); // sparse: no 201 MB written to disk
  await dialog.getByTestId('customer-file-dropzone').locator('input[type=file]').setInputFiles(big);
  await expect(dialog.getByTestId('upload-refused').textContent()).resolves.toMatch(/too_big\.csv.*201 MB.*최대 업로드 용량은 200MB/);
  expect(uploads).toEqual([]);
  await expect(dialog.getByRole('button', { name: '다음' }).isDisabled()).resolves.toBe(true);
  await screenshot(page, 'cf-step1-too-large-ko');
  await axeClean(page);
  fs.rmSync(path.dirname(big), { recursive: true });

  const [template] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: '템플릿 다운로드' }).click()]);
  expect(template.suggestedFilename()).toBe('customer_file_template.csv');
  expect(fs.readFileSync(await template.path(), 'utf8').split('\r\n')[0]).toBe('\ufeffadid,메모');

  await dialog.getByTestId('customer-file-dropzone').locator('input[type=file]').setInputFiles({ name: 'VIP 구매 고객.csv', mimeType: 'text/csv', buffer: Buffer.from(file) });
  await dialog.getByTestId('uploaded').waitFor({ timeout: 30_000 });
  expect(uploads).toHaveLength(1);
  await dialog.getByRole('button', { name: '다음' }).click();

  // ---- ② 비식별 코드화 확인: the counts the API answered, the ignored memo column, the failed rows
  await dialog.getByTestId('deidentify').waitFor();
  const shown = async () => ({
    received: Number((await dialog.getByTestId('count-received').textContent())!.replace(/,/g, '')),
    succeeded: Number((await dialog.getByTestId('count-succeeded').textContent())!.replace(/,/g, '')),
    failed: Number((await dialog.getByTestId('count-failed').textContent())!.replace(/,/g, '')),
    duplicates: Number((await dialog.getByTestId('count-duplicates').textContent())!.replace(/,/g, '')),
  });
  const counts = await shown();
  expect(counts).toEqual(expected);
  await expect(dialog.getByTestId('ignored-columns').textContent()).resolves.toBe('메모');
  await screenshot(page, 'cf-step2-deidentify-ko');
  await axeClean(page);
  const [failures] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: '실패 파일 다운로드' }).click()]);
  const failedRows = fs.readFileSync(await failures.path(), 'utf8').trim().split(/\r?\n/);
  expect(failedRows[0]).toBe('row,value,rule,message');
  expect(failedRows).toHaveLength(1 + BAD_ROWS.length);
  expect(failedRows.some((l) => l.includes('column_count'))).toBe(true);
  expect(failedRows.some((l) => l.includes(',required,'))).toBe(true);
  await dialog.getByRole('button', { name: '다음' }).click();

  // ---- ③ 생성 완료: the ADID count, the name, 저장
  await expect(dialog.getByTestId('adid-count').textContent()).resolves.toBe('2,400');
  await dialog.getByLabel(exact('고객파일 이름')).fill('VIP 구매 고객');
  await screenshot(page, 'cf-step3-complete-ko');
  await axeClean(page);
  await dialog.getByRole('button', { name: '저장' }).click();
  await page.getByTestId('saved').waitFor();
  const files = (await as.get('/v1/targets/customer-files').expect(200)).body.items;
  expect(files).toHaveLength(1);
  const vip = files[0];
  expect(vip).toMatchObject({ name: 'VIP 구매 고객', adidCount: SEED, upload: { counts: counts } });
  const upload = (await as.get(`/v1/targets/customer-files/uploads/${vip.upload.id}`).expect(200)).body;
  expect(upload).toMatchObject({ counts, ignoredColumns: ['메모'], column: 'adid', status: 'saved' });

  // 타겟 모수: 준비중 until counted, then the API's number (every ADID is a member: 2,400 people).
  const vipRow = page.getByRole('table', { name: '고객파일 목록' }).getByRole('row').filter({ hasText: 'VIP 구매 고객' });
  await eventually(async () => (await vipRow.getByTestId('population').getAttribute('data-state')) === 'ready', 'the customer file counted', 60_000, 250);
  const counted = (await as.get(`/v1/targets/customer-files/${vip.id}`).expect(200)).body;
  expect(counted.population).toMatchObject({ state: 'ready', count: SEED });
  await expect(vipRow.getByTestId('population').getAttribute('data-count')).resolves.toBe(String(counted.population.count));
  await expect(vipRow.getByTestId('population').textContent()).resolves.toBe('2,400');
  await expect(page.getByTestId('target-limit').textContent()).resolves.toBe('1 / 30');

  // ---- A second, small file: its name first clashes with the first (shown on the field)
  await page.getByRole('button', { name: '+ 고객파일 등록하기' }).click();
  const small = Array.from({ length: SMALL }, (_, i) => ADID(6000 + i)).join('\n') + '\n';
  await dialog.getByTestId('customer-file-dropzone').locator('input[type=file]').setInputFiles({ name: 'small.csv', mimeType: 'text/csv', buffer: Buffer.from(small) });
  await dialog.getByTestId('uploaded').waitFor({ timeout: 30_000 });
  await dialog.getByRole('button', { name: '다음' }).click();
  await expect(shown()).resolves.toEqual({ received: SMALL, succeeded: SMALL, failed: 0, duplicates: 0 });
  await expect(dialog.getByRole('button', { name: '실패 파일 다운로드' }).isDisabled()).resolves.toBe(true);
  await dialog.getByRole('button', { name: '다음' }).click();
  await dialog.getByLabel(exact('고객파일 이름')).fill('vip 구매 고객');
  await dialog.getByRole('button', { name: '저장' }).click();
  await dialog.getByText('이미 같은 이름의 고객파일이 있습니다. 다른 이름을 입력하세요.').waitFor();
  await expect(dialog.getByLabel(exact('고객파일 이름')).getAttribute('aria-invalid')).resolves.toBe('true');
  await screenshot(page, 'cf-step3-name-taken-ko');
  await axeClean(page);
  await dialog.getByLabel(exact('고객파일 이름')).fill('이벤트 응모자');
  await dialog.getByRole('button', { name: '저장' }).click();
  await page.getByTestId('saved').waitFor();
  const smallRow = page.getByRole('table', { name: '고객파일 목록' }).getByRole('row').filter({ hasText: '이벤트 응모자' });
  await eventually(async () => (await smallRow.getByTestId('population').getAttribute('data-count')) === String(SMALL), 'the small file counted', 60_000, 250);
  await screenshot(page, 'cf-list-ko');
  await axeClean(page);

  // ---- 유사타겟 만들기 ① SEED 타겟 선택: the small file greyed with its size and why
  await page.getByRole('tab', { name: '유사타겟' }).click();
  await page.getByRole('table', { name: '유사타겟 목록' }).waitFor();
  await page.getByRole('button', { name: '+ 유사타겟 만들기' }).click();
  const seeds = page.getByTestId('seeds');
  const smallSeed = seeds.locator('tr[data-seed="이벤트 응모자"]');
  await smallSeed.waitFor();
  await expect(smallSeed.getAttribute('data-selectable')).resolves.toBe('false');
  await expect(smallSeed.getByTestId('seed-population').textContent()).resolves.toBe('300명');
  await expect(smallSeed.getByTestId('seed-reason').textContent()).resolves.toBe('모수가 2,000명 이상인 고객파일만 선택할 수 있습니다.');
  await expect(smallSeed.getByRole('radio').isDisabled()).resolves.toBe(true);
  const apiSeeds = (await as.get('/v1/targets/lookalikes/seeds').expect(200)).body.items;
  expect(apiSeeds.find((s: { name: string }) => s.name === '이벤트 응모자')).toMatchObject({ population: SMALL, selectable: false });
  await screenshot(page, 'lal-step1-seed-ko');
  await axeClean(page);
  await seeds.locator('tr[data-seed="VIP 구매 고객"]').getByRole('radio').check();
  await page.getByRole('button', { name: '다음' }).click();

  // ---- ② 생성 완료: seed name and population, the generated name following the size, 완료
  await expect(page.getByTestId('seed-name').textContent()).resolves.toBe('VIP 구매 고객');
  await expect(page.getByTestId('seed-population').textContent()).resolves.toBe('2,400명');
  await expect(page.getByLabel(exact('유사타겟 이름')).inputValue()).resolves.toBe('VIP 구매 고객 유사타겟 5%');
  await page.getByRole('slider').focus();
  await page.keyboard.press('End');
  await expect(page.getByLabel(exact('유사타겟 이름')).inputValue()).resolves.toBe('VIP 구매 고객 유사타겟 10%');
  await expect(page.getByTestId('size-estimate').textContent()).resolves.toBe('예상 모수: 약 1,250명 (카카오 사용자 12,500명의 10%)');
  await screenshot(page, 'lal-step2-complete-ko');
  await axeClean(page);
  await page.getByRole('button', { name: '완료', exact: true }).click();

  // The list: 준비중 while building, then 사용가능 (the API's status), with its population.
  const lalRow = page.getByRole('table', { name: '유사타겟 목록' }).getByRole('row').filter({ hasText: 'VIP 구매 고객 유사타겟 10%' });
  await lalRow.waitFor();
  await expect(lalRow.textContent()).resolves.toContain('고객파일');
  await eventually(async () => (await lalRow.getByTestId('lookalike-status').getAttribute('data-status')) === 'AVAILABLE', 'the lookalike built', 120_000, 500);
  const [lookalike] = (await as.get('/v1/targets/lookalikes').expect(200)).body.items;
  expect(lookalike).toMatchObject({ status: 'AVAILABLE', size: 10, seed: { type: 'CUSTOMER_FILE', id: vip.id, population: SEED }, autoUpdate: true });
  await expect(lalRow.getByTestId('lookalike-status').textContent()).resolves.toBe('사용가능');
  await eventually(async () => (await lalRow.getByTestId('population').getAttribute('data-count')) === String((await as.get(`/v1/targets/lookalikes/${lookalike.id}`)).body.population.count ?? 'none'), 'the lookalike population shown', 30_000, 250);
  await screenshot(page, 'lal-list-ko');
  await axeClean(page);

  // 자동 업데이트 off from the list.
  await lalRow.getByTestId('auto-update').click({ force: true });
  await eventually(async () => (await as.get(`/v1/targets/lookalikes/${lookalike.id}`)).body.autoUpdate === false, 'auto-update off');

  // ---- Detail: the quality in words, as the API measured it
  await lalRow.getByRole('link', { name: 'VIP 구매 고객 유사타겟 10%' }).click();
  await page.getByTestId('quality').waitFor();
  const detail = (await as.get(`/v1/targets/lookalikes/${lookalike.id}`).expect(200)).body;
  expect(detail.quality.auc).toBeGreaterThanOrEqual(0.8);
  await expect(page.getByTestId('auc').textContent()).resolves.toBe(`AUC ${detail.quality.auc.toFixed(2)}`);
  await expect(page.getByTestId('quality-band').textContent()).resolves.toBe('강함');
  await expect(page.getByTestId('quality-words').textContent()).resolves.toContain('SEED와 비슷한 사용자를 잘 골라냅니다');
  await screenshot(page, 'lal-detail-ko');
  await axeClean(page);

  // ---- The customer file is used: by the lookalike (seed) and by a display ad group (API: the campaigns tab's work)
  const campaign = (await as.post('/v1/campaigns', { name: '봄 세일', type: 'DISPLAY' }).expect(201)).body;
  await as.post('/v1/ad-groups', { campaignId: campaign.id, name: 'VIP 리타게팅', targeting: { include: [vip.id], exclude: [] } }).expect(201);
  await page.getByRole('link', { name: 'VIP 구매 고객', exact: true }).click();
  await page.getByTestId('target-usage').waitFor();
  const usage = page.getByTestId('target-usage');
  await usage.getByRole('row').filter({ hasText: 'VIP 리타게팅' }).filter({ hasText: '봄 세일 (디스플레이)' }).filter({ hasText: '포함' }).waitFor();
  await usage.getByRole('row').filter({ hasText: 'VIP 구매 고객 유사타겟 10%' }).filter({ hasText: 'SEED 타겟' }).waitFor();
  await expect(page.getByTestId('population').textContent()).resolves.toBe('2,400');
  await screenshot(page, 'cf-detail-ko');
  await axeClean(page);

  await page.getByRole('button', { name: '삭제' }).click();
  await page.getByTestId('confirm-delete').click();
  const refusal = page.getByRole('dialog');
  await refusal.getByTestId('problem').waitFor();
  await expect(refusal.getByTestId('delete-refused').textContent()).resolves.toBe('사용 중인 타겟은 삭제할 수 없습니다.');
  await expect(refusal.getByTestId('confirm-delete').isDisabled()).resolves.toBe(true);
  await expect(refusal.getByTestId('problem').textContent()).resolves.toMatch(/VIP 리타게팅/);
  await refusal.getByTestId('target-usage').getByRole('row').filter({ hasText: 'VIP 구매 고객 유사타겟 10%' }).waitFor();
  await screenshot(page, 'cf-delete-refused-ko');
  await axeClean(page);
  await as.get(`/v1/targets/customer-files/${vip.id}`).expect(200);

  // English through the language switch.
  await refusal.getByRole('button', { name: '취소' }).click();
  await page.getByText('English').click();
  await page.getByRole('heading', { name: 'Customer file' }).waitFor();
  await page.getByRole('heading', { name: 'Target usage' }).waitFor();
  await expect(page.getByTestId('target-usage').textContent()).resolves.toMatch(/Ad group.*봄 세일 \(Display\).*VIP 리타게팅.*Include/);
  await context.close();
}, 300_000);
