/**
 * 광고반응타겟 and 캠페인 in the console, as a Korean marketer: campaigns and ad groups made on the
 * 캠페인 tab; the ad platform records reactions through the API (as src/demo/first-party.ts does);
 * the marketer creates a 클릭-재생 ad-response target over two ad groups in the two-step wizard (a
 * direct-message campaign shown but not selectable, with the reason), sees 준비중 and then the
 * number the API counts; in a third ad group includes it and a customer file (uploaded through the
 * API), with a 준비중 file not pickable and saying why, and sees 예상 모수 follow the API's reach;
 * then deleting the used target is refused with where it is used, whose link opens the ad group.
 *
 * The API runs without workers (mode 'api'): populations are counted when the test ticks, as the
 * background job would, so 준비중 is seen for certain. Every screen is axe-clean; Korean
 * screenshots go to $CDP_SCREENSHOTS.
 */
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newConsole, screenshot, seriousViolations, signIn } from '../helpers/browser';
import { startTestApi, TestApi } from '../helpers/harness';
import { eventually } from '../helpers/poll';
import { loadPeople } from '../helpers/universe';

const DAY = 24 * 60 * 60 * 1000;
const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

let api: TestApi;
let browser: Browser;
let marketer: string;
let page: Page;
let closeContext: () => Promise<void>;

beforeAll(async () => {
  api = await startTestApi({ mode: 'api' });
  browser = await launchBrowser();
  // The account's first-party universe: 300 people known by ADID.
  await loadPeople(api, api.adminToken, range(1, 300).map((n) => ({ adid: ADID(n) })));
  marketer = await api.keyFor('marketer');
  // A talk channel (the friend-groups tab's business) for a direct-message campaign.
  await api.as(marketer).post('/v1/talk-channels', { name: '프렌즈샵', searchId: '@프렌즈샵' }).expect(201);
  const c = await newConsole(browser, 'ko-KR');
  page = c.page;
  closeContext = () => c.context.close();
  await signIn(page, api.url, marketer);
}, 90_000);
afterAll(async () => {
  await closeContext?.();
  await browser?.close();
  await api?.close();
});

const tick = () => api.runtime.services.populations.refreshDue();

async function axeClean(name: string): Promise<void> {
  await screenshot(page, name);
  expect({ name, violations: await seriousViolations(page) }).toEqual({ name, violations: [] });
}

const num = (s: string | null) => Number((s ?? '').replace(/[^\d-]/g, ''));

async function openTab(name: string): Promise<void> {
  await page.getByRole('link', { name: '타겟 관리', exact: true }).click();
  await page.getByRole('tab', { name, exact: true }).click();
}

async function createCampaign(name: string, message?: 'DIRECT_FRIENDS'): Promise<void> {
  await page.getByRole('button', { name: '+ 캠페인 만들기' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('캠페인 이름').fill(name);
  if (message) {
    await dialog.getByRole('radio', { name: '메시지', exact: true }).check();
    await dialog.getByRole('radio', { name: '다이렉트 메시지 > 친구 전체/그룹에게 발송하기' }).check();
    await dialog.getByRole('combobox', { name: '카카오톡 채널' }).click();
    await page.getByRole('option', { name: '프렌즈샵 (@프렌즈샵)' }).click();
    await axeClean('campaign-create-message-ko');
  }
  await dialog.getByRole('button', { name: '만들기' }).click();
  await page.getByRole('heading', { name, exact: true }).waitFor();
}

async function createAdGroup(name: string): Promise<void> {
  await page.getByRole('button', { name: '+ 광고그룹 만들기' }).click();
  await page.getByRole('dialog').getByLabel('광고그룹 이름').fill(name);
  await page.getByRole('dialog').getByRole('button', { name: '만들기' }).click();
  await page.getByRole('link', { name, exact: true }).waitFor();
}

let adGroups: Record<string, string>;
let targetId: string;
let fileId: string;

it('makes a display campaign with three ad groups and a direct-message campaign on the 캠페인 tab', async () => {
  await openTab('캠페인');
  await page.getByRole('table', { name: '캠페인 목록' }).waitFor();
  await axeClean('campaigns-empty-ko');
  await createCampaign('친구 소식', 'DIRECT_FRIENDS');
  await page.getByRole('link', { name: '← 캠페인 목록' }).click();
  await createCampaign('겨울 세일');
  for (const g of ['동영상 A', '동영상 B', '리타게팅']) await createAdGroup(g);
  await axeClean('campaign-detail-ko');

  const listed = (await api.as(marketer).get('/v1/ad-groups').expect(200)).body.items as { id: string; name: string; campaign: { name: string } }[];
  adGroups = Object.fromEntries(listed.filter((g) => g.campaign.name === '겨울 세일').map((g) => [g.name, g.id]));
  expect(Object.keys(adGroups).sort()).toEqual(['동영상 A', '동영상 B', '리타게팅'].sort());
  const campaigns = (await api.as(marketer).get('/v1/campaigns').expect(200)).body.items;
  expect(campaigns.find((c: { name: string }) => c.name === '친구 소식')).toMatchObject({ type: 'MESSAGE', messageType: 'DIRECT_FRIENDS' });
}, 90_000);

it('creates a 클릭-재생 ad-response target over two ad groups; 준비중 turns into the number the API counts', async () => {
  // The ad platform reports reactions (README: POST /v1/reactions, JSON lines).
  const at = (days: number) => new Date(Date.now() - days * DAY).toISOString();
  const lines = [
    ...range(1, 200).map((n) => ({ adGroupId: n % 2 ? adGroups['동영상 A'] : adGroups['동영상 B'], type: 'CLICK', adid: ADID(n), occurredAt: at(1 + (n % 9)) })),
    ...range(1, 60).map((n) => ({ adGroupId: adGroups['동영상 B'], type: 'PLAY', adid: ADID(n), occurredAt: at(2), playSeconds: 8 })),
    ...range(61, 80).map((n) => ({ adGroupId: adGroups['동영상 A'], type: 'PLAY', adid: ADID(n), occurredAt: at(2), playSeconds: 1, playPercent: 5 })),
    ...range(201, 230).map((n) => ({ adGroupId: adGroups['동영상 A'], type: 'PLAY', adid: ADID(n), occurredAt: at(3), playPercent: 50 })),
  ];
  const engineer = await api.keyFor('data_engineer');
  const recorded = await api.as(engineer).post('/v1/reactions').set('Content-Type', 'application/x-ndjson').send(lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  expect(recorded.status).toBe(201);
  expect(recorded.body).toEqual({ accepted: lines.length, notQualifyingPlays: 20 });

  await openTab('광고반응타겟');
  await page.getByRole('table', { name: '광고반응타겟 목록' }).waitFor();
  await expect(page.getByTestId('target-limit').textContent()).resolves.toBe('0 / 30');
  await axeClean('ad-response-empty-ko');
  await page.getByRole('button', { name: '+ 광고반응타겟 만들기' }).click();
  await page.getByRole('heading', { name: '광고반응타겟 만들기' }).waitFor();

  // ① 캠페인 선택하기: the direct-message campaign is shown, not selectable, and says why.
  const direct = page.getByRole('radio', { name: '친구 소식' });
  await expect(direct.isDisabled()).resolves.toBe(true);
  await page.getByText('다이렉트 메시지 > 친구 전체/그룹 캠페인은 광고반응타겟 생성이 불가능합니다.').waitFor();
  await expect(page.getByRole('button', { name: '다음' }).isDisabled()).resolves.toBe(true);
  await page.getByRole('radio', { name: '겨울 세일' }).check();
  // ② 광고그룹 선택하기 ③ 재생/클릭/전환: 클릭 − 재생.
  await page.getByRole('checkbox', { name: '동영상 A' }).check();
  await page.getByRole('checkbox', { name: '동영상 B' }).check();
  await expect(page.getByTestId('selected-count').textContent()).resolves.toBe('선택한 광고반응 데이터 2 / 10');
  await page.getByRole('radio', { name: '-(차집합)' }).check();
  await expect(page.getByRole('combobox', { name: '포함할 반응' }).inputValue()).resolves.toBe('클릭');
  await expect(page.getByRole('combobox', { name: '뺄 반응' }).inputValue()).resolves.toBe('재생');
  await expect(page.getByTestId('combination-label').textContent()).resolves.toBe('클릭-재생');
  await axeClean('ad-response-wizard-1-ko');
  await page.getByRole('button', { name: '다음' }).click();

  // 2단계 생성 완료: the generated name, 수집기간 30일; save.
  const name = page.getByRole('textbox', { name: '③ 광고반응타겟 이름' });
  await expect(name.inputValue()).resolves.toBe('동영상 A 외 1개 · 클릭-재생 · 30일');
  await expect(page.getByRole('textbox', { name: '② 수집기간' }).inputValue()).resolves.toBe('30 일');
  await axeClean('ad-response-wizard-2-ko');
  await page.getByRole('button', { name: '저장' }).click();
  await page.getByRole('heading', { name: '광고반응타겟 상세' }).waitFor();
  targetId = page.url().split('/').pop()!;
  const badge = page.getByTestId('population');
  await expect(badge.getAttribute('data-state')).resolves.toBe('preparing');
  await expect(badge.textContent()).resolves.toContain('준비중');
  await axeClean('ad-response-detail-preparing-ko');

  // The background count runs; the screen follows on its own.
  expect(await tick()).toBeGreaterThanOrEqual(1);
  const counted = (await api.as(marketer).get(`/v1/targets/ad-response/${targetId}`).expect(200)).body;
  // Clickers 1–200 minus qualifying players 1–60 (short plays 61–80 do not count as 재생).
  expect(counted.population).toMatchObject({ state: 'ready', count: 140 });
  expect(counted).toMatchObject({ name: '동영상 A 외 1개 · 클릭-재생 · 30일', combination: { type: 'DIFFERENCE', include: 'CLICK', exclude: 'PLAY' }, collectionDays: 30 });
  await eventually(async () => (await badge.getAttribute('data-state')) === 'ready', 'the counted population on the detail', 20_000);
  expect(num(await badge.getAttribute('data-count'))).toBe(counted.population.count);
  expect(num(await badge.textContent())).toBe(140);
  await axeClean('ad-response-detail-ko');

  await page.getByRole('link', { name: '← 목록' }).click();
  await page.getByRole('link', { name: '동영상 A 외 1개 · 클릭-재생 · 30일' }).waitFor();
  await eventually(async () => (await page.getByTestId('target-limit').textContent()) === '1 / 30', 'n / 30 after the save');
  // The list polls while 준비중: the count it shows catches up with the API's.
  await eventually(async () => (await page.getByTestId('population').first().textContent()) === '140', 'the list to show the counted 모수');
  await axeClean('ad-response-list-ko');
}, 120_000);

it('includes the ad-response target and a customer file in an ad group; 예상 모수 follows the API reach; a 준비중 file cannot be picked', async () => {
  const as = api.as(marketer);
  const upload = async (csv: string) => (await as.post('/v1/targets/customer-files/uploads').set('Content-Type', 'text/csv').send(csv).expect(201)).body.id as string;
  const csv = (ns: number[]) => `adid\n${ns.map(ADID).join('\n')}\n`;
  fileId = (await as.post('/v1/targets/customer-files', { uploadId: await upload(csv(range(151, 280))), name: '앱 회원' }).expect(201)).body.id;
  await tick();
  expect((await as.get(`/v1/targets/customer-files/${fileId}`).expect(200)).body.population).toMatchObject({ state: 'ready', count: 130 });
  // Uploaded after the count: still 준비중.
  const waiting = (await as.post('/v1/targets/customer-files', { uploadId: await upload(csv(range(1, 10))), name: '새 파일' }).expect(201)).body.id as string;

  await openTab('캠페인');
  await page.getByRole('link', { name: '겨울 세일' }).click();
  await page.getByRole('link', { name: '리타게팅' }).click();
  await page.getByRole('heading', { name: '리타게팅' }).waitFor();
  const reach = page.getByTestId('reach');
  const reachOf = async (include: string[]) => (await as.post(`/v1/ad-groups/${adGroups['리타게팅']}/reach`, { include, exclude: [] }).expect(200)).body.reach as number;
  const shows = async (n: number, what: string) =>
    eventually(async () => (await reach.getAttribute('data-stale')) === 'false' && num(await reach.textContent()) === n, what);

  // No include: everyone in the universe.
  expect(await reachOf([])).toBe(300);
  await shows(300, 'the reach without targeting');
  await page.getByTestId(`blocked-${waiting}`).waitFor();
  await expect(page.getByTestId(`blocked-${waiting}`).textContent()).resolves.toBe('준비중인 타겟은 모수 추출이 끝난 뒤 선택할 수 있습니다.');
  await expect(page.getByRole('checkbox', { name: '새 파일 포함' }).count()).resolves.toBe(0);

  await page.getByRole('checkbox', { name: '동영상 A 외 1개 · 클릭-재생 · 30일 포함' }).check();
  await shows(await reachOf([targetId]), 'the reach of the ad-response target');
  await page.getByRole('checkbox', { name: '앱 회원 포함' }).check();
  const both = await reachOf([targetId, fileId]);
  // 61–200 clicked without playing; 151–280 are app members: 61–280.
  expect(both).toBe(220);
  await shows(both, 'the reach of both targets');
  await expect(page.getByTestId('chosen-include').textContent()).resolves.toBe('포함 2 / 10');
  await axeClean('ad-group-targeting-ko');
  await page.getByRole('button', { name: '타게팅 저장' }).click();
  await page.getByTestId('targeting-saved').waitFor();
  const saved = (await as.get(`/v1/ad-groups/${adGroups['리타게팅']}`).expect(200)).body.targeting;
  expect(saved.include.map((x: { id: string }) => x.id)).toEqual([targetId, fileId]);
  expect(saved.exclude).toEqual([]);
}, 90_000);

it('refuses to delete the target while the ad group uses it, naming where; the usage link opens the ad group', async () => {
  await openTab('광고반응타겟');
  await page.getByRole('link', { name: '동영상 A 외 1개 · 클릭-재생 · 30일' }).click();
  await page.getByRole('heading', { name: '광고반응타겟 상세' }).waitFor();
  const usage = page.getByTestId('target-usage');
  await usage.getByRole('link', { name: '리타게팅' }).waitFor();
  await expect(usage.textContent()).resolves.toContain('겨울 세일 (디스플레이)');
  await expect(usage.textContent()).resolves.toContain('포함');

  await page.getByRole('button', { name: '삭제' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByTestId('confirm-delete').click();
  const problem = dialog.getByTestId('problem');
  await problem.waitFor();
  const refused = await api.as(marketer).delete(`/v1/targets/ad-response/${targetId}`);
  expect(refused.status).toBe(409);
  await expect(problem.textContent()).resolves.toContain(refused.body.detail);
  await dialog.getByTestId('target-usage').getByRole('link', { name: '리타게팅' }).waitFor();
  await axeClean('ad-response-delete-refused-ko');
  await dialog.getByRole('button', { name: '취소' }).click();
  await dialog.waitFor({ state: 'hidden' });
  expect((await api.as(marketer).get(`/v1/targets/ad-response/${targetId}`)).status).toBe(200);

  await usage.getByRole('link', { name: '리타게팅' }).click();
  await page.getByRole('heading', { name: '리타게팅' }).waitFor();
  expect(page.url()).toContain(`/targets/campaigns/ad-groups/${adGroups['리타게팅']}`);
  await page.getByRole('checkbox', { name: '앱 회원 포함' }).waitFor();
  await expect(page.getByRole('checkbox', { name: '앱 회원 포함' }).isChecked()).resolves.toBe(true);

  // English through the language switch.
  await page.getByText('English').click();
  await page.getByRole('heading', { name: 'Targeting' }).waitFor();
  await page.getByRole('tab', { name: 'Ad-response targets' }).click();
  await page.getByRole('table', { name: 'Ad-response targets' }).waitFor();
  await page.getByRole('button', { name: '+ Create ad-response target' }).waitFor();
  await axeClean('ad-response-list-en');
}, 90_000);
