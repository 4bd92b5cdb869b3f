/**
 * 타겟 관리 in Korean, through the console only once the universe of app members is loaded through
 * the API (as a data engineer does): a talk channel with friends added by list and by file, and a
 * friend group from a phone file (header `phone`) whose 친구수 equals the API's; a pixel & SDK right
 * added from the 권한 추가 popup, its install snippet run on a shop page and events sent to the
 * collection endpoint the screen shows (as pages and apps do; the shop page is served from another loopback origin), 수집현황 / 이벤트 목록 / 타겟모수 and a
 * pixel target's 모수 equal to the API's, and 권한 삭제 refused while the target uses it; a MAT link
 * code whose postback URLs (shown on screen) receive the test's postbacks, the received events, a
 * MAT link's 모수 equal to the API's, and the code's deletion refused while the link uses it.
 * Every screen and wizard step is axe-clean; Korean screenshots go to $CDP_SCREENSHOTS.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, newConsole, screenshot, seriousViolations, signIn } from '../helpers/browser';
import { startTestApi, TestApi } from '../helpers/harness';
import { eventually } from '../helpers/poll';
import { loadPeople } from '../helpers/universe';

let api: TestApi;
let browser: Browser;
let admin: string;
let marketer: string;
let tracker: { trackId: string; name: string };

const N = 200;
const ADID = (i: number) => `a0000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const APP_USER_ID = (i: number) => String(7_000_000 + i);
const PHONE = (i: number) => `010-5${String(i).padStart(3, '0')}-${String(2000 + i).padStart(4, '0')}`;
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

beforeAll(async () => {
  api = await startTestApi();
  browser = await launchBrowser();
  admin = await api.keyFor('admin');
  marketer = await api.keyFor('marketer');
  // The advertiser's app members: each with an ad id, an app user id and a mobile number.
  await loadPeople(api, admin, range(0, N).map((i) => ({ adid: ADID(i), appUserId: APP_USER_ID(i), phone: PHONE(i) })));
  await api.as(admin).post('/v1/universe/link').expect(200);
  // The pixel belongs to the organisation's web team, in an ad account of its own.
  const web = await api.as(api.adminToken).post('/v1/accounts', { name: '웹 개발팀' }).expect(201);
  const webAdmin = await api.keyFor('admin', web.body.id);
  tracker = (await api.as(webAdmin).post('/v1/trackers', { name: '쇼핑몰 픽셀' }).expect(201)).body;
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

async function axeClean(page: Page, name: string): Promise<void> {
  await screenshot(page, name);
  expect({ name, violations: await seriousViolations(page) }).toEqual({ name, violations: [] });
}

/** The population badge inside a test id: its state and count. */
async function population(page: Page, testId: string): Promise<{ state: string | null; count: number | null }> {
  const badge = page.getByTestId(testId).getByTestId('population');
  const count = await badge.getAttribute('data-count');
  return { state: await badge.getAttribute('data-state'), count: count ? Number(count) : null };
}

const num = (s: string | null) => Number((s ?? '').replace(/[^\d-]/g, ''));

it('a talk channel gets friends by list and by file; a friend group from a phone file shows the API’s 친구수', async () => {
  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, marketer);
  await page.goto(`${api.url}/targets/friend-groups`);
  await page.getByText('친구그룹 관리', { exact: true }).waitFor();
  await expect(page.getByTestId('target-limit').textContent()).resolves.toBe('0 / 30');
  await axeClean(page, 'friend-groups-empty-ko');

  // ---- 카카오톡 채널 and its friends
  await page.getByRole('link', { name: '카카오톡 채널 관리' }).click();
  await page.getByRole('button', { name: '+ 카카오톡 채널 추가' }).click();
  let dialog = page.getByRole('dialog');
  await dialog.getByLabel('채널 이름').fill('프렌즈샵');
  await dialog.getByLabel('검색용 아이디').fill('@프렌즈샵');
  await axeClean(page, 'talk-channel-create-ko');
  await dialog.getByRole('button', { name: '저장' }).click();
  await page.getByText('채널 상세').waitFor();
  // Members 0–79 by phone number, typed; members 80–99 by app user id, from a file.
  await page.getByTestId('friends-list').fill(range(0, 80).map(PHONE).join('\n'));
  await page.getByRole('button', { name: '친구 추가' }).click();
  await page.getByTestId('friends-result').waitFor();
  await page.getByRole('radio', { name: '앱유저아이디' }).check();
  // Mantine's SegmentedControl hides its radios under their labels: a person clicks the label.
  await page.locator('label').filter({ hasText: /^파일$/ }).click();
  await page.locator('input[type=file]').setInputFiles({ name: '앱회원.csv', mimeType: 'text/csv', buffer: Buffer.from(['app_user_id,메모', ...range(80, 100).map((i) => `${APP_USER_ID(i)},앱 회원`)].join('\r\n')) });
  await eventually(async () => (await page.getByTestId('friends-read').textContent())?.startsWith('20명'), 'the file read');
  await page.getByRole('button', { name: '친구 추가' }).click();
  await page.getByText('20명 중 20명을 새로 추가했습니다').waitFor();
  const channels = (await api.as(marketer).get('/v1/talk-channels').expect(200)).body.items;
  expect(channels).toHaveLength(1);
  expect(channels[0].friendCount).toBe(100);
  await eventually(async () => num(await page.getByTestId('channel-friend-count').textContent()) === 100, 'the channel’s friend count');
  await axeClean(page, 'talk-channel-detail-ko');

  // ---- 친구그룹 등록하기: ① 채널 선택 ② 유형 선택 및 파일 등록 ③ 그룹 생성
  await page.getByRole('link', { name: '← 카카오톡 채널' }).click();
  await page.getByRole('link', { name: '← 친구그룹 관리' }).click();
  await page.getByRole('button', { name: '+ 친구그룹 등록하기' }).click();
  dialog = page.getByRole('dialog');
  await dialog.getByRole('radio', { name: /프렌즈샵/ }).click();
  await axeClean(page, 'friend-group-step1-ko');
  await dialog.getByRole('button', { name: '다음' }).click();
  await expect(dialog.getByRole('radio', { name: '전화번호' }).isChecked()).resolves.toBe(true);
  // Members 50–149 (50 of them friends), two landlines (failed), one repeated number (duplicate).
  const lines = ['phone', ...range(50, 150).map(PHONE), '02-3456-7890', '031-789-1234', `+82 ${PHONE(60).slice(1)}`];
  await dialog.getByTestId('friend-group-dropzone').locator('input[type=file]').setInputFiles({ name: '단골 고객.csv', mimeType: 'text/csv', buffer: Buffer.from(lines.join('\r\n') + '\r\n') });
  await dialog.getByTestId('uploaded').waitFor();
  await axeClean(page, 'friend-group-step2-ko');
  await dialog.getByRole('button', { name: '다음' }).click();
  const counts = Object.fromEntries(await Promise.all(['received', 'succeeded', 'failed', 'duplicates'].map(async (k) => [k, num(await dialog.getByTestId(`count-${k}`).textContent())])));
  expect(counts).toEqual({ received: 103, succeeded: 100, failed: 2, duplicates: 1 });
  const [failures] = await Promise.all([page.waitForEvent('download'), dialog.getByRole('button', { name: '실패 리스트 다운로드' }).click()]);
  const failed = await new Promise<string>((resolve, reject) => {
    failures.createReadStream().then((s) => {
      let out = '';
      s.on('data', (c: Buffer) => (out += c.toString('utf8'))).on('end', () => resolve(out)).on('error', reject);
    }, reject);
  });
  expect(failed).toContain('02-3456-7890');
  expect(failed).toContain('031-789-1234');
  await expect(dialog.getByLabel('친구그룹 이름').inputValue()).resolves.toBe('단골 고객');
  await axeClean(page, 'friend-group-step3-ko');
  await dialog.getByRole('button', { name: '저장' }).click();
  await page.getByTestId('saved').waitFor();
  await expect(page.getByTestId('target-limit').textContent()).resolves.toBe('1 / 30');
  await page.getByRole('link', { name: '단골 고객' }).click();
  await page.getByText('친구그룹 상세').waitFor();
  const group = (await api.as(marketer).get('/v1/targets/friend-groups').expect(200)).body.items[0];
  const counted = await eventually(async () => {
    const api_ = (await api.as(marketer).get(`/v1/targets/friend-groups/${group.id}`).expect(200)).body;
    const shown = await population(page, 'friend-count');
    return api_.population.state === 'ready' && shown.state === 'ready' && shown.count === api_.friendCount ? api_ : undefined;
  }, 'the 친구수 shown to equal the API’s');
  expect(counted.friendCount).toBe(50);
  await page.getByText('해당 친구그룹을 사용 중인 다이렉트 메시지 광고그룹이 없습니다.').waitFor();
  await axeClean(page, 'friend-group-detail-ko');
  await context.close();
}, 180_000);

it('a pixel right from the 권한 추가 popup; the snippet and events to the shown endpoint; 수집현황, 타겟모수 and a pixel target’s 모수 equal the API’s', async () => {
  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, marketer);
  await page.goto(`${api.url}/targets/pixels`);
  await page.getByText('픽셀 & SDK 연동 관리', { exact: true }).waitFor();
  await axeClean(page, 'pixels-empty-ko');

  await page.getByRole('button', { name: '권한 추가하기' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('checkbox', { name: `${tracker.name} 선택` }).check();
  await dialog.getByRole('switch', { name: '내 픽셀 & SDK 보기' }).click();
  await dialog.getByRole('checkbox', { name: `${tracker.name} 선택` }).waitFor();
  await axeClean(page, 'pixels-add-right-ko');
  await dialog.getByRole('button', { name: '확인' }).click();
  await page.getByTestId('pixels-notice').waitFor();
  const row = page.getByRole('row').filter({ hasText: tracker.trackId });
  await expect(row.getByTestId('collection-status').getAttribute('data-status')).resolves.toBe('PRE_COLLECTION');
  // Granted trackers are not offered again.
  await page.getByRole('button', { name: '권한 추가하기' }).click();
  await dialog.getByText('권한을 추가할 수 있는 픽셀 & SDK가 없습니다.').waitFor();
  await dialog.getByRole('button', { name: '취소' }).click();

  await page.getByRole('link', { name: tracker.name }).click();
  await page.getByText('픽셀 & SDK 상세').waitFor();
  const endpoint = ((await page.getByTestId('collect-endpoint').textContent()) ?? '').trim();
  expect(endpoint).toBe(`${api.url}/v1/collect/${tracker.trackId}`);
  const snippet = (await page.getByTestId('web-snippet').textContent()) ?? '';
  await axeClean(page, 'pixel-detail-empty-ko');

  // A shop page (another origin) runs the copied snippet: its page view arrives, 수집현황 turns 수집중.
  // A real page server on loopback (Chromium's local-network checks refuse a page the test fakes).
  const shopServer = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><head>${snippet}</head><body>쇼핑몰</body></html>`));
  await new Promise<void>((resolve) => shopServer.listen(0, '127.0.0.1', resolve));
  const shop = await context.newPage();
  await shop.goto(`http://localhost:${(shopServer.address() as AddressInfo).port}/index.html`);
  await eventually(async () => (await page.getByTestId('collection-status').getAttribute('data-status')) === 'COLLECTION', '수집현황 수집중 after the snippet’s page view', 30_000, 200);
  await shop.close();
  await new Promise((resolve) => shopServer.close(resolve));

  // The app SDK sends what members did, as text/plain JSON (what sendBeacon posts).
  const send = async (events: object[]) => {
    const res = await fetch(endpoint, { method: 'POST', headers: { 'Content-Type': 'text/plain;charset=UTF-8' }, body: JSON.stringify({ events }) });
    expect(res.status).toBe(202);
  };
  await send(range(0, N).map((i) => ({ event: 'pageView', adid: ADID(i) })));
  await send(range(0, 120).map((i) => ({ event: 'purchase', adid: ADID(i), properties: { value: 12000, currency: 'KRW' } })));
  const events = (await api.as(marketer).get(`/v1/trackers/${tracker.trackId}/events`).expect(200)).body.items as { event: string; count: number }[];
  expect(Object.fromEntries(events.map((e) => [e.event, e.count]))).toEqual({ pageView: N + 1, purchase: 120 });
  for (const e of events) await eventually(async () => num(await page.getByTestId(`event-count-${e.event}`).textContent()) === e.count, `the ${e.event} count shown`, 15_000, 200);
  const lastEventAt = (await api.as(marketer).get(`/v1/trackers/${tracker.trackId}`).expect(200)).body.lastEventAt;
  await eventually(async () => (await page.getByTestId('collection-status').getAttribute('data-last-event')) === lastEventAt, 'the last event time shown', 15_000, 200);
  await page.getByRole('button', { name: '타겟모수 다시 조회' }).click();
  const trackerNow = await eventually(async () => {
    const t = (await api.as(marketer).get(`/v1/trackers/${tracker.trackId}`).expect(200)).body;
    const shown = await population(page, 'tracker-population');
    return t.population.count === N + 1 && shown.state === t.population.state && shown.count === t.population.count ? t : undefined;
  }, '타겟모수 shown to equal the API’s', 30_000, 200);
  expect(trackerNow.population.state).toBe('ready');
  await axeClean(page, 'pixel-detail-ko');

  // ---- 픽셀 & SDK 타겟: purchased in the last 30 days
  await page.getByRole('link', { name: '← 픽셀 & SDK 목록' }).click();
  await page.getByRole('button', { name: '+ 픽셀 & SDK 타겟 만들기' }).click();
  await expect(dialog.getByLabel('타겟 이름').inputValue()).resolves.toBe(`${tracker.name} · 구매 · 최근 30일`);
  await axeClean(page, 'pixel-target-create-ko');
  await dialog.getByRole('button', { name: '저장' }).click();
  await page.getByTestId('pixel-target-saved').waitFor();
  await page.getByRole('link', { name: `${tracker.name} · 구매 · 최근 30일` }).click();
  await page.getByText('픽셀 & SDK 타겟 상세').waitFor();
  const target = (await api.as(marketer).get('/v1/targets/pixel').expect(200)).body.items[0];
  const pixel = await eventually(async () => {
    const p = (await api.as(marketer).get(`/v1/targets/pixel/${target.id}`).expect(200)).body;
    const shown = await population(page, 'pixel-target-population');
    return p.population.state === 'ready' && shown.state === 'ready' && shown.count === p.population.count ? p : undefined;
  }, 'the pixel target’s 모수 shown to equal the API’s', 30_000, 200);
  expect(pixel.population.count).toBe(120);
  await axeClean(page, 'pixel-target-detail-ko');

  // 권한 삭제 while the target uses the tracker is refused, naming the target.
  await page.getByRole('link', { name: '← 픽셀 & SDK 목록' }).click();
  await page.getByRole('button', { name: `권한 삭제: ${tracker.name}` }).click();
  await dialog.getByTestId('confirm-remove-right').click();
  await dialog.getByTestId('right-users').getByText(target.name).waitFor();
  await expect(dialog.getByTestId('problem').textContent()).resolves.toContain('delete them before removing the right');
  await axeClean(page, 'pixels-remove-right-refused-ko');
  await dialog.getByRole('button', { name: '취소' }).click();
  await page.locator('.mantine-Modal-overlay').waitFor({ state: 'detached' }); // the popup fades out: judge the list once it has gone
  expect((await api.as(marketer).get('/v1/trackers').expect(200)).body.items).toHaveLength(1);
  await axeClean(page, 'pixels-list-ko');
  await context.close();
}, 180_000);

it('a MAT link code’s postback URLs receive postbacks; the MAT link’s 모수 equals the API’s; the code cannot be deleted while used', async () => {
  const { context, page } = await newConsole(browser, 'ko-KR');
  await signIn(page, api.url, marketer);
  await page.goto(`${api.url}/targets/mat`);
  await page.getByRole('columnheader', { name: '연동코드' }).waitFor();
  await expect(page.getByTestId('link-code-limit').textContent()).resolves.toBe('0 / 30');
  await axeClean(page, 'mat-empty-ko');

  await page.getByRole('button', { name: '+ 연동코드 만들기' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('연동코드 이름').fill('쇼핑 앱 Android');
  await dialog.getByRole('button', { name: '저장' }).click();
  await dialog.getByTestId('link-code-created').waitFor();
  const code = ((await dialog.getByTestId('new-link-code').textContent()) ?? '').trim();
  const igaworks = ((await dialog.getByTestId('postback-url-igaworks').textContent()) ?? '').trim();
  const adjust = ((await dialog.getByTestId('postback-url-adjust').textContent()) ?? '').trim();
  expect(igaworks).toBe(`${api.url}/v1/mat/postbacks/igaworks/${code}`);
  await axeClean(page, 'mat-link-code-created-ko');
  await dialog.getByRole('button', { name: '닫기' }).last().click();
  await expect(page.getByTestId('link-code-limit').textContent()).resolves.toBe('1 / 30');

  // The vendors post to the addresses shown: IGAWorks installs and purchases, Adjust session callbacks.
  const post = async (url: string, body: object) => {
    const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(202);
  };
  await post(igaworks, range(0, 150).map((i) => ({ event: 'install', adid: ADID(i) })));
  await post(igaworks, range(0, 110).map((i) => ({ event: 'purchase', adid: ADID(i) })));
  const now = Math.floor(Date.now() / 1000);
  for (const i of range(0, 5)) {
    const url = adjust.replace('{activity_kind}', 'session').replace('{event_name}', '').replace('{gps_adid}', ADID(i)).replace('{idfa}', '').replace('{created_at}', String(now));
    expect((await fetch(url)).status).toBe(202);
  }

  await page.getByRole('link', { name: '쇼핑 앱 Android' }).click();
  await page.getByText('연동코드 상세').waitFor();
  const linkCode = (await api.as(marketer).get('/v1/mat/link-codes').expect(200)).body.items[0];
  const received = (await api.as(marketer).get(`/v1/mat/link-codes/${linkCode.id}/received`).expect(200)).body.items as { vendor: string; event: string; count: number }[];
  expect(received.map((r) => `${r.vendor}:${r.event}:${r.count}`).sort()).toEqual(['adjust:open:5', 'igaworks:install:150', 'igaworks:purchase:110']);
  for (const r of received) await eventually(async () => num(await page.getByTestId(`received-${r.vendor}-${r.event}`).textContent()) === r.count, `${r.vendor} ${r.event} shown`, 15_000, 200);
  await axeClean(page, 'mat-link-code-detail-ko');

  // ---- + MAT 연동하기: only what was received can be chosen
  await page.getByRole('link', { name: '← MAT 연동 관리' }).click();
  await page.getByRole('button', { name: '+ MAT 연동하기' }).click();
  await dialog.getByLabel('MAT 연동 이름').fill('앱 구매자');
  await dialog.getByLabel(/^업체/).click(); // a required field's label ends in its asterisk
  await page.getByRole('option', { name: 'IGAWorks adbrix' }).click();
  await expect(dialog.getByRole('radio', { name: 'open' }).isDisabled()).resolves.toBe(true);
  await dialog.getByRole('radio', { name: 'purchase' }).check();
  await axeClean(page, 'mat-link-create-ko');
  await dialog.getByRole('button', { name: '저장' }).click();
  await page.getByTestId('mat-link-saved').waitFor();
  await page.getByRole('link', { name: '앱 구매자' }).click();
  await page.getByText('MAT 연동 상세').waitFor();
  const link = (await api.as(marketer).get('/v1/targets/mat').expect(200)).body.items[0];
  const counted = await eventually(async () => {
    const l = (await api.as(marketer).get(`/v1/targets/mat/${link.id}`).expect(200)).body;
    const shown = await population(page, 'mat-link-population');
    return l.population.state === 'ready' && shown.state === 'ready' && shown.count === l.population.count ? l : undefined;
  }, 'the MAT link’s 모수 shown to equal the API’s', 30_000, 200);
  expect(counted.population.count).toBe(110);
  await axeClean(page, 'mat-link-detail-ko');

  // Deleting the link code while the MAT link uses it is refused, with the link named.
  await page.getByRole('link', { name: '쇼핑 앱 Android' }).click();
  await page.getByText('연동코드 상세').waitFor();
  await page.getByRole('button', { name: '삭제' }).click();
  await dialog.getByTestId('confirm-delete').click();
  await dialog.getByTestId('code-users').getByText('앱 구매자').waitFor();
  await axeClean(page, 'mat-link-code-delete-refused-ko');
  await dialog.getByRole('button', { name: '취소' }).click();
  await page.getByRole('link', { name: '← MAT 연동 관리' }).click();
  await page.getByRole('link', { name: '앱 구매자' }).waitFor();
  await axeClean(page, 'mat-list-ko');
  await context.close();
}, 180_000);
