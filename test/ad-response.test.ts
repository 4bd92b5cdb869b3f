/**
 * Ad-response targets (광고반응타겟) through HTTP: the population of CLICK − PLAY over two ad groups
 * is exactly the people who clicked and did not (qualifyingly) play within the period, with people
 * resolved across identifiers; it refreshes when reactions arrive and daily; the other combinations,
 * the limits (10 sources, 90 days, 30 targets) and the direct-message rule.
 *
 * The API runs without workers (mode 'api'), so nothing is counted behind the test's back: the test
 * runs the population tick itself (`populations.refreshDue()`), as the daily job would.
 */
import { loadPeople } from './helpers/universe';
import { expectProblem, startTestApi, TestApi, AuthedClient } from './helpers/harness';

const DAY = 24 * 60 * 60 * 1000;
const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const APP = (n: number) => String(1000 + n);

let api: TestApi;
let as: AuthedClient;
let now: Date;
const T0 = new Date(Date.UTC(2026, 10, 20, 12, 0, 0));
const ago = (days: number) => new Date(T0.getTime() - days * DAY).toISOString();

let campaignId: string;
let ag1: { id: string; name: string };
let ag2: { id: string; name: string };
let ag3: { id: string; name: string };

async function post(path: string, body: unknown, status = 201) {
  const res = await as.post(path, body);
  if (res.status !== status) throw new Error(`${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

async function sendReactions(reactions: object[]) {
  const res = await as
    .post('/v1/reactions')
    .set('Content-Type', 'application/x-ndjson')
    .send(reactions.map((r) => JSON.stringify(r)).join('\n') + '\n');
  if (res.status !== 201) throw new Error(`reactions → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

const tick = () => api.runtime.services.populations.refreshDue();
const population = async (id: string) => (await as.get(`/v1/targets/ad-response/${id}`).expect(200)).body.population;

const clickMinusPlayBody = () => ({
  campaignType: 'DISPLAY',
  sources: [ag1.id, ag2.id],
  combination: { type: 'DIFFERENCE', include: 'CLICK', exclude: 'PLAY' },
  collectionDays: 30,
});
/** The click − play target the first test creates and counts (made and counted here when it did not run). */
let clickMinusPlay: string | undefined;
async function clickMinusPlayTarget(): Promise<string> {
  if (clickMinusPlay) return clickMinusPlay;
  const id: string = (await post('/v1/targets/ad-response', clickMinusPlayBody())).id;
  await tick();
  return (clickMinusPlay = id);
}
/** That target under the name the rename test gives it. */
async function renamedClickMinusPlay(name: string): Promise<void> {
  const id = await clickMinusPlayTarget();
  if ((await as.get(`/v1/targets/ad-response/${id}`).expect(200)).body.name !== name) await as.patch(`/v1/targets/ad-response/${id}`, { name }).expect(200);
}

beforeAll(async () => {
  api = await startTestApi({ mode: 'api' });
  as = api.as(api.adminToken);
  now = T0;
  api.runtime.services.clock.now = () => now;

  // Eleven known people, each with an ADID and an app user id in one first-party record.
  await loadPeople(api, api.adminToken, Array.from({ length: 11 }, (_, i) => ({ adid: ADID(i + 1), appUserId: APP(i + 1) })));

  campaignId = (await post('/v1/campaigns', { name: 'Winter sale', type: 'DISPLAY' })).id;
  ag1 = await post('/v1/ad-groups', { campaignId, name: 'Video A' });
  ag2 = await post('/v1/ad-groups', { campaignId, name: 'Video B' });
  ag3 = await post('/v1/ad-groups', { campaignId, name: 'Banner C' });

  const click = (adGroupId: string, who: object, at: string) => ({ adGroupId, type: 'CLICK', ...who, occurredAt: at });
  const play = (adGroupId: string, who: object, at: string, length: object) => ({ adGroupId, type: 'PLAY', ...who, occurredAt: at, ...length });
  const byAdid = (n: number) => ({ adid: ADID(n) });
  const byApp = (n: number) => ({ appUserId: APP(n) });
  const accepted = await sendReactions([
    click(ag1.id, byAdid(1), ago(2)), // P1 clicked only → counted
    click(ag1.id, byAdid(2), ago(3)), // P2 clicked and played on the other ad group → not counted
    play(ag2.id, byAdid(2), ago(1), { playSeconds: 5 }),
    click(ag2.id, byApp(3), ago(2)), // P3 clicked, played under 3 s and 25 % → counted
    play(ag1.id, byAdid(3), ago(2), { playSeconds: 2, playPercent: 10 }),
    click(ag1.id, byAdid(4), ago(40)), // P4 clicked before the 30-day period → not counted
    click(ag1.id, byAdid(5), ago(4)), // P5 clicked by ADID, played by app user id → one person, not counted
    play(ag2.id, byApp(5), ago(4), { playPercent: 30 }),
    click(ag1.id, byAdid(6), ago(5)), // P6 clicked by each identifier → counted once
    click(ag2.id, byApp(6), ago(6)),
    play(ag1.id, byAdid(7), ago(1), { playSeconds: 10 }), // P7 played only → not counted
    click(ag1.id, byAdid(8), ago(2)), // P8 clicked; played 45 days ago, outside the period → counted
    play(ag2.id, byAdid(8), ago(45), { playSeconds: 30 }),
    click(ag3.id, byAdid(9), ago(1)), // P9 clicked an ad group that is not a source → not counted
    { adGroupId: ag2.id, type: 'CONVERSION', adid: ADID(10), occurredAt: ago(1) }, // P10 converted only
    click(ag1.id, byAdid(11), ago(29.5)), // P11 clicked just inside the period; leaves it within a day
  ]);
  expect(accepted).toEqual({ accepted: 16, notQualifyingPlays: 1 });
}, 60_000);
afterAll(async () => api.close());

describe('ad-response targets', () => {
  it('counts exactly the people who clicked and did not play (click − play over two ad groups)', async () => {
    const created = await post('/v1/targets/ad-response', clickMinusPlayBody());
    clickMinusPlay = created.id as string;
    expect(created).toMatchObject({
      kind: 'ad_response',
      name: 'Video A 외 1개 · 클릭-재생 · 30일',
      campaignType: 'DISPLAY',
      sources: [
        { id: ag1.id, kind: 'ad_group', name: 'Video A', campaign: { id: campaignId, name: 'Winter sale', type: 'DISPLAY' } },
        { id: ag2.id, kind: 'ad_group', name: 'Video B' },
      ],
      combination: { type: 'DIFFERENCE', include: 'CLICK', exclude: 'PLAY', label: '클릭-재생' },
      collectionDays: 30,
      collectionWindow: { from: ago(30), to: T0.toISOString() },
      dataGuide: { reactions: [{ type: 'PLAY', label: '재생' }, { type: 'CLICK', label: '클릭' }, { type: 'CONVERSION', label: '전환' }] },
      note: expect.stringContaining('수집기간 내 반응한 사용자가 없는 경우 노출 대상이 없을 수 있습니다'),
      population: { state: 'preparing', label: '준비중', count: null, minimum: 100, usable: false },
      usage: [],
    });

    expect(await tick()).toBeGreaterThanOrEqual(1);
    // P1, P3, P6, P8, P11: five people, fewer than the minimum of 100 → 모수부족 but usable.
    expect(await population(clickMinusPlay)).toMatchObject({ state: 'too_small', label: '모수부족', count: 5, usable: true });
    expect((await as.get('/v1/targets/ad-response').expect(200)).body.items.map((t: { id: string }) => t.id)).toContain(clickMinusPlay);
  });

  it('combines reactions as one reaction, all reactions and an intersection', async () => {
    const make = async (combination: object) =>
      (await post('/v1/targets/ad-response', { campaignType: 'DISPLAY', sources: [ag1.id, ag2.id], combination, collectionDays: 30 })).id as string;
    const clicks = await make({ type: 'ONE', reaction: 'CLICK' });
    const plays = await make({ type: 'ONE', reaction: 'PLAY' });
    const all = await make({ type: 'ALL' });
    const both = await make({ type: 'INTERSECTION', reactions: ['CLICK', 'PLAY'] });
    await tick();
    expect((await population(clicks)).count).toBe(7); // P1 P2 P3 P5 P6 P8 P11
    expect((await population(plays)).count).toBe(3); // P2 P5 P7: P3's short play and P8's old play do not count
    expect((await population(all)).count).toBe(9); // clickers + P7 (played) + P10 (converted)
    expect((await population(both)).count).toBe(2); // P2 P5
    const allTarget = (await as.get(`/v1/targets/ad-response/${all}`).expect(200)).body;
    expect(allTarget.name).toBe('Video A 외 1개 · 재생/클릭/전환 전체 · 30일');
    expect((await as.get(`/v1/targets/ad-response/${both}`).expect(200)).body.combination.label).toBe('클릭&재생');
    for (const id of [clicks, plays, all, both]) await as.delete(`/v1/targets/ad-response/${id}`).expect(204);
  });

  it('renames and redefines a target; a new definition is counted at the next tick', async () => {
    const clickMinusPlay = await clickMinusPlayTarget();
    const renamed = await as.patch(`/v1/targets/ad-response/${clickMinusPlay}`, { name: '영상 클릭 후 미재생' }).expect(200);
    expect(renamed.body.name).toBe('영상 클릭 후 미재생');
    expectProblem(await as.patch(`/v1/targets/ad-response/${clickMinusPlay}`, { collectionDays: 91 }), 422);

    const narrowed = await as.patch(`/v1/targets/ad-response/${clickMinusPlay}`, { sources: [ag1.id] }).expect(200);
    expect(narrowed.body.sources.map((s: { id: string }) => s.id)).toEqual([ag1.id]);
    expect(new Date(narrowed.body.population.nextRefreshAt).getTime()).toBeLessThanOrEqual(now.getTime());
    await tick();
    // Only Video A: P1, P6, P8, P11 clicked it; P3 clicked Video B only. Plays on B no longer subtract: P2, P5 come back.
    expect((await population(clickMinusPlay)).count).toBe(6);
    await as.patch(`/v1/targets/ad-response/${clickMinusPlay}`, { sources: [ag1.id, ag2.id] }).expect(200);
    await tick();
    expect((await population(clickMinusPlay)).count).toBe(5);
  });

  it('refreshes the population when reactions arrive and daily: new reactions show at the next tick, old ones leave the period', async () => {
    const clickMinusPlay = await clickMinusPlayTarget();
    const before = await population(clickMinusPlay);
    expect(before.count).toBe(5);
    await sendReactions([
      { adGroupId: ag2.id, type: 'CLICK', adid: ADID(9), occurredAt: new Date(T0.getTime() - 3600_000).toISOString() }, // P9 now clicks a source
      { adGroupId: ag1.id, type: 'CLICK', appUserId: APP(10), occurredAt: T0.toISOString() }, // P10 clicks, by app user id
      { adGroupId: ag1.id, type: 'CLICK', adid: ADID(7), occurredAt: T0.toISOString() }, // P7 clicks but had played → still out
      { adGroupId: ag2.id, type: 'CLICK', adid: ADID(50), occurredAt: T0.toISOString() }, // someone new to the universe
      { adGroupId: ag1.id, type: 'PLAY', adid: ADID(1), occurredAt: T0.toISOString(), playSeconds: 1 }, // P1's 1-second play does not count
    ]);

    // New reactions on its sources make the target due at once: the next tick (a minute) counts
    // +P9 +P10 +the new person; P7's click does not count (played), nor P1's short play.
    await tick();
    const refreshed = await population(clickMinusPlay);
    expect(refreshed).toMatchObject({ count: 8, refreshedAt: T0.toISOString() });
    expect(new Date(refreshed.nextRefreshAt).getTime()).toBe(T0.getTime() + DAY);
    await tick();
    expect((await population(clickMinusPlay)).count).toBe(8); // nothing due: not counted again

    // A day later the daily count runs again: P11's click is now 30.5 days old and leaves the period.
    now = new Date(T0.getTime() + DAY + 60_000);
    expect(await tick()).toBeGreaterThanOrEqual(1);
    const after = await population(clickMinusPlay);
    expect(after).toMatchObject({ state: 'too_small', count: 7, refreshedAt: now.toISOString() });
    expect(new Date(after.nextRefreshAt).getTime()).toBe(now.getTime() + DAY);
    const target = (await as.get(`/v1/targets/ad-response/${clickMinusPlay}`).expect(200)).body;
    expect(target.collectionWindow).toEqual({ from: new Date(now.getTime() - 30 * DAY).toISOString(), to: now.toISOString() });
    now = T0;
  });
});

describe('ad-response target rules', () => {
  it('takes 1 to 10 sources and a period of 1 to 90 days', async () => {
    const eleven: string[] = [ag1.id, ag2.id, ag3.id];
    for (let i = 0; i < 8; i++) eleven.push((await post('/v1/ad-groups', { campaignId, name: `Extra ${i}` })).id);
    const body = { campaignType: 'DISPLAY', combination: { type: 'ONE', reaction: 'CLICK' }, collectionDays: 30 };
    const tooMany = expectProblem(await as.post('/v1/targets/ad-response', { ...body, sources: eleven }), 422);
    expect(tooMany.errors).toEqual([expect.objectContaining({ pointer: '/sources', rule: 'max-items' })]);
    expect(tooMany.detail).toContain('at most 10');
    expectProblem(await as.post('/v1/targets/ad-response', { ...body, sources: [] }), 422);
    const ten = await post('/v1/targets/ad-response', { ...body, sources: eleven.slice(0, 10), name: 'Ten ad groups' });
    expect(ten.sources).toHaveLength(10);
    await as.delete(`/v1/targets/ad-response/${ten.id}`).expect(204);

    for (const days of [0, 91]) {
      const res = expectProblem(await as.post('/v1/targets/ad-response', { ...body, sources: [ag1.id], collectionDays: days }), 422);
      expect(res.errors[0]).toMatchObject({ pointer: '/collectionDays', rule: 'range' });
    }
    const ninety = await post('/v1/targets/ad-response', { ...body, sources: [ag1.id], collectionDays: 90 });
    expect(ninety.name).toBe('Video A · 클릭 · 90일');
    await as.delete(`/v1/targets/ad-response/${ninety.id}`).expect(204);
  });

  it('refuses reactions of the wrong campaign type, foreign and unknown sources, and DIRECT_FRIENDS messages', async () => {
    const display = { campaignType: 'DISPLAY', sources: [ag1.id], collectionDays: 7 };
    const open = expectProblem(await as.post('/v1/targets/ad-response', { ...display, combination: { type: 'ONE', reaction: 'OPEN' } }), 422);
    expect(open.errors[0]).toMatchObject({ pointer: '/combination/reaction', rule: 'campaign-type' });
    const same = expectProblem(await as.post('/v1/targets/ad-response', { ...display, combination: { type: 'DIFFERENCE', include: 'CLICK', exclude: 'CLICK' } }), 422);
    expect(same.errors[0]).toMatchObject({ pointer: '/combination/exclude' });
    expectProblem(await as.post('/v1/targets/ad-response', { ...display, combination: { type: 'INTERSECTION', reactions: ['CLICK'] } }), 400);

    const other = await api.otherAccount();
    const foreignCampaign = await api.as(other.adminToken).post('/v1/campaigns', { name: 'Theirs', type: 'DISPLAY' }).expect(201);
    const foreignGroup = await api.as(other.adminToken).post('/v1/ad-groups', { campaignId: foreignCampaign.body.id, name: 'Theirs' }).expect(201);
    const foreign = expectProblem(await as.post('/v1/targets/ad-response', { ...display, sources: [ag1.id, foreignGroup.body.id], combination: { type: 'ALL' } }), 422);
    expect(foreign.errors[0]).toMatchObject({ pointer: '/sources/1', rule: 'exists' });

    const channel = await post('/v1/talk-channels', { name: '프렌즈샵', searchId: '@friendsshop' });
    const direct = await post('/v1/campaigns', { name: 'Direct to friends', type: 'MESSAGE', messageType: 'DIRECT_FRIENDS', talkChannelId: channel.id });
    const channelMsg = await post('/v1/campaigns', { name: 'Channel message', type: 'MESSAGE', messageType: 'CHANNEL_MESSAGE', talkChannelId: channel.id });
    const directGroup = await post('/v1/ad-groups', { campaignId: direct.id, name: 'All friends' });
    const channelGroup = await post('/v1/ad-groups', { campaignId: channelMsg.id, name: 'Weekly' });
    const directMessage = await post('/v1/messages', { adGroupId: directGroup.id, name: 'Hello friends' });
    const channelMessage = await post('/v1/messages', { adGroupId: channelGroup.id, name: 'Weekly news' });

    const message = { campaignType: 'MESSAGE', collectionDays: 14, combination: { type: 'DIFFERENCE', include: 'CLICK', exclude: 'OPEN' } };
    const refused = expectProblem(await as.post('/v1/targets/ad-response', { ...message, sources: [channelMessage.id, directMessage.id] }), 422);
    expect(refused.errors[0]).toMatchObject({ pointer: '/sources/1', rule: 'direct-message' });
    expect(refused.detail).toContain('친구 전체/그룹');
    // Sources follow the campaign type: messages for MESSAGE, ad groups for DISPLAY.
    expectProblem(await as.post('/v1/targets/ad-response', { ...message, sources: [channelGroup.id] }), 422);
    expectProblem(await as.post('/v1/targets/ad-response', { ...display, sources: [channelMessage.id], combination: { type: 'ALL' } }), 422);

    const ok = await post('/v1/targets/ad-response', { ...message, sources: [channelMessage.id] });
    expect(ok).toMatchObject({
      name: 'Weekly news · 클릭-열람 · 14일',
      sources: [{ id: channelMessage.id, kind: 'message', adGroup: { id: channelGroup.id, name: 'Weekly' }, campaign: { messageType: 'CHANNEL_MESSAGE' } }],
      dataGuide: { reactions: [{ type: 'OPEN', label: '열람' }, { type: 'CLICK', label: '클릭' }] },
    });
    // Message reactions, CLICK − OPEN: P3 clicked; P4 opened (app user id) and clicked (ADID) → only P3.
    await sendReactions([
      { messageId: channelMessage.id, type: 'CLICK', appUserId: APP(3), occurredAt: ago(1) },
      { messageId: channelMessage.id, type: 'OPEN', appUserId: APP(4), occurredAt: ago(1) },
      { messageId: channelMessage.id, type: 'CLICK', adid: ADID(4), occurredAt: ago(1) },
    ]);
    await tick();
    expect((await population(ok.id)).count).toBe(1);

    // A source cannot be deleted while a target uses it.
    const busy = expectProblem(await as.delete(`/v1/messages/${channelMessage.id}`), 409);
    expect(busy.detail).toContain('Weekly news · 클릭-열람 · 14일');
    expectProblem(await as.delete(`/v1/campaigns/${channelMsg.id}`), 409);
    await as.delete(`/v1/targets/ad-response/${ok.id}`).expect(204);
    await as.delete(`/v1/campaigns/${channelMsg.id}`).expect(204);
  });

  it('refuses the 31st ad-response target of an account, naming the limit; generated names never clash', async () => {
    const other = await api.otherAccount();
    const them = api.as(other.adminToken);
    const c = await them.post('/v1/campaigns', { name: 'Limits', type: 'DISPLAY' }).expect(201);
    const g = await them.post('/v1/ad-groups', { campaignId: c.body.id, name: 'Only group' }).expect(201);
    const body = { campaignType: 'DISPLAY', sources: [g.body.id], combination: { type: 'ONE', reaction: 'CLICK' }, collectionDays: 30 };
    const names: string[] = [];
    for (let i = 0; i < 30; i++) names.push((await them.post('/v1/targets/ad-response', body).expect(201)).body.name);
    expect(names.slice(0, 3)).toEqual(['Only group · 클릭 · 30일', 'Only group · 클릭 · 30일 (2)', 'Only group · 클릭 · 30일 (3)']);
    expect(new Set(names).size).toBe(30);
    const refused = expectProblem(await them.post('/v1/targets/ad-response', body), 409);
    expect(refused).toMatchObject({ limit: 30 });
    expect(refused.detail).toContain('at most 30');
    await renamedClickMinusPlay('영상 클릭 후 미재생');
    const dup = expectProblem(await as.post('/v1/targets/ad-response', { ...body, sources: [ag1.id], name: '영상 클릭 후 미재생' }), 409);
    expect(dup.errors[0]).toMatchObject({ pointer: '/name', rule: 'unique' });
  });
});
