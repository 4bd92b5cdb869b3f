/**
 * Campaigns, ad groups, messages, reactions and ad group targeting (맞춤타겟) through HTTP:
 * - reactions: one JSON object or JSON lines, all or nothing (one bad line → 422 listing every
 *   problem by line, nothing stored, nothing appended to the universe);
 * - a target an ad group uses cannot be deleted (409 with the ad group), its usage lists the ad
 *   group and its campaign, and after the targeting drops it the delete succeeds;
 * - reach = people in any included target minus people in any excluded one (channel friends only
 *   for message campaigns); preparing targets and misplaced friend groups are refused.
 * The API runs without workers (mode 'api'): populations are counted when the test runs the tick.
 */
import { loadPeople } from './helpers/universe';
import { expectProblem, startTestApi, TestApi, AuthedClient } from './helpers/harness';

const DAY = 24 * 60 * 60 * 1000;
const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const APP = (n: number) => String(2000 + n);

let api: TestApi;
let as: AuthedClient;
const T0 = new Date(Date.UTC(2026, 10, 20, 12, 0, 0));
const ago = (days: number) => new Date(T0.getTime() - days * DAY).toISOString();
const tick = () => api.runtime.services.populations.refreshDue();

async function post(path: string, body: unknown, status = 201) {
  const res = await as.post(path, body);
  if (res.status !== status) throw new Error(`${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

function ndjson(lines: (object | string)[]) {
  return as
    .post('/v1/reactions')
    .set('Content-Type', 'application/x-ndjson')
    .send(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
}

beforeAll(async () => {
  api = await startTestApi({ mode: 'api' });
  as = api.as(api.adminToken);
  api.runtime.services.clock.now = () => T0;
  // Six known people, each with an ADID and an app user id.
  await loadPeople(api, api.adminToken, Array.from({ length: 6 }, (_, i) => ({ adid: ADID(i + 1), appUserId: APP(i + 1) })));
}, 60_000);
afterAll(async () => api.close());

describe('campaigns, ad groups and messages', () => {
  it('creates display and message campaigns with unique names; type and channel are fixed', async () => {
    const display = await post('/v1/campaigns', { name: 'Spring launch', type: 'DISPLAY' });
    expect(display).toMatchObject({ name: 'Spring launch', type: 'DISPLAY', messageType: null, talkChannelId: null, adGroupCount: 0 });
    const dup = expectProblem(await as.post('/v1/campaigns', { name: 'SPRING LAUNCH', type: 'DISPLAY' }), 409);
    expect(dup.errors[0]).toMatchObject({ pointer: '/name', rule: 'unique' });

    expect(expectProblem(await as.post('/v1/campaigns', { name: 'No channel', type: 'MESSAGE' }), 422).errors[0]).toMatchObject({ pointer: '/talkChannelId', rule: 'required' });
    expect(expectProblem(await as.post('/v1/campaigns', { name: 'Unknown channel', type: 'MESSAGE', talkChannelId: 'tch_nope' }), 422).errors[0]).toMatchObject({
      pointer: '/talkChannelId',
      rule: 'exists',
    });
    expect(expectProblem(await as.post('/v1/campaigns', { name: 'Odd', type: 'DISPLAY', messageType: 'DIRECT_FRIENDS' }), 422).errors[0]).toMatchObject({ pointer: '/messageType' });
    expectProblem(await as.patch(`/v1/campaigns/${display.id}`, { type: 'MESSAGE' }), 400);

    const channel = await post('/v1/talk-channels', { name: 'Spring channel', searchId: '@spring' });
    const message = await post('/v1/campaigns', { name: 'Spring news', type: 'MESSAGE', talkChannelId: channel.id });
    expect(message).toMatchObject({ type: 'MESSAGE', messageType: 'CHANNEL_MESSAGE', talkChannelId: channel.id });
    // The channel a campaign sends through cannot be deleted.
    expectProblem(await as.delete(`/v1/talk-channels/${channel.id}`), 409);

    const renamed = await as.patch(`/v1/campaigns/${display.id}`, { name: 'Spring launch 2' }).expect(200);
    expect(renamed.body.name).toBe('Spring launch 2');
    const messages = await as.get('/v1/campaigns?type=MESSAGE').expect(200);
    expect(messages.body.items.map((c: { id: string }) => c.id)).toEqual([message.id]);

    const other = await api.otherAccount();
    await api.as(other.adminToken).get(`/v1/campaigns/${display.id}`).expect(404);
    await api.as(other.adminToken).delete(`/v1/campaigns/${display.id}`).expect(404);

    await as.delete(`/v1/campaigns/${message.id}`).expect(204);
    await as.delete(`/v1/talk-channels/${channel.id}`).expect(204);
  });

  it('keeps ad group names unique per campaign and messages in message campaigns only', async () => {
    const a = await post('/v1/campaigns', { name: 'Campaign A', type: 'DISPLAY' });
    const b = await post('/v1/campaigns', { name: 'Campaign B', type: 'DISPLAY' });
    const g = await post('/v1/ad-groups', { campaignId: a.id, name: 'Group' });
    expect(g).toMatchObject({ campaignId: a.id, campaign: { id: a.id, name: 'Campaign A', type: 'DISPLAY' }, targeting: { include: [], exclude: [] } });
    expectProblem(await as.post('/v1/ad-groups', { campaignId: a.id, name: 'group' }), 409);
    await post('/v1/ad-groups', { campaignId: b.id, name: 'Group' });
    expect((await as.get(`/v1/ad-groups?campaignId=${a.id}`).expect(200)).body.items).toHaveLength(1);
    expect((await as.get(`/v1/campaigns/${a.id}`).expect(200)).body.adGroupCount).toBe(1);
    expect(expectProblem(await as.post('/v1/ad-groups', { campaignId: 'cmp_nope', name: 'X' }), 422).errors[0]).toMatchObject({ pointer: '/campaignId', rule: 'exists' });
    expect(expectProblem(await as.post('/v1/messages', { adGroupId: g.id, name: 'Hello' }), 422).errors[0]).toMatchObject({ pointer: '/adGroupId', rule: 'campaign-type' });
    await as.patch(`/v1/ad-groups/${g.id}`, { name: 'Group renamed' }).expect(200);
    await as.delete(`/v1/campaigns/${a.id}`).expect(204);
    await as.get(`/v1/ad-groups/${g.id}`).expect(404);
    await as.delete(`/v1/campaigns/${b.id}`).expect(204);
  });
});

describe('reactions', () => {
  let display: { id: string };
  let group: { id: string };
  let messageGroup: { id: string };
  let message: { id: string };
  let clicks: string;

  beforeAll(async () => {
    display = await post('/v1/campaigns', { name: 'Reactions display', type: 'DISPLAY' });
    group = await post('/v1/ad-groups', { campaignId: display.id, name: 'Video' });
    const channel = await post('/v1/talk-channels', { name: 'Reactions channel', searchId: '@reactions' });
    const mc = await post('/v1/campaigns', { name: 'Reactions message', type: 'MESSAGE', talkChannelId: channel.id });
    messageGroup = await post('/v1/ad-groups', { campaignId: mc.id, name: 'Weekly' });
    message = await post('/v1/messages', { adGroupId: messageGroup.id, name: 'Week 1' });
    clicks = (await post('/v1/targets/ad-response', { campaignType: 'DISPLAY', sources: [group.id], combination: { type: 'ONE', reaction: 'CLICK' }, collectionDays: 30 })).id;
  });

  /**
   * Clicks on the Video ad group by the people with these ADIDs: what the earlier tests of this
   * block recorded, so that each test also runs alone (a person clicking again is still one person).
   */
  async function clickedBy(...ns: number[]): Promise<void> {
    const res = await ndjson(ns.map((n) => ({ adGroupId: group.id, type: 'CLICK', adid: ADID(n), occurredAt: ago(1) })));
    expect(res.status).toBe(201);
  }

  it('records one JSON reaction, and refuses what does not fit its ad group or message', async () => {
    const one = await as.post('/v1/reactions', { adGroupId: group.id, type: 'CLICK', adid: ADID(1).toUpperCase(), occurredAt: ago(1) }).expect(201);
    expect(one.body).toEqual({ accepted: 1, notQualifyingPlays: 0 });
    const open = expectProblem(await as.post('/v1/reactions', { adGroupId: group.id, type: 'OPEN', adid: ADID(1), occurredAt: ago(1) }), 422);
    expect(open.errors).toEqual([expect.objectContaining({ pointer: '/type', rule: 'campaign-type' })]);
    const onGroup = expectProblem(await as.post('/v1/reactions', { adGroupId: messageGroup.id, type: 'OPEN', appUserId: APP(1), occurredAt: ago(1) }), 422);
    expect(onGroup.errors[0]).toMatchObject({ pointer: '/adGroupId', rule: 'campaign-type' });
    await as.post('/v1/reactions', { messageId: message.id, type: 'OPEN', appUserId: APP(1), occurredAt: ago(1) }).expect(201);
    expectProblem(await as.post('/v1/reactions', { adGroupId: group.id, type: 'CLICK', occurredAt: ago(1), colour: 'red' }), 400);
    expectProblem(await as.post('/v1/reactions').set('Content-Type', 'text/csv').send('adid\n1\n'), 415);

    const other = await api.otherAccount();
    const foreign = expectProblem(
      await api.as(other.adminToken).post('/v1/reactions', { adGroupId: group.id, type: 'CLICK', adid: ADID(1), occurredAt: ago(1) }),
      422,
    );
    expect(foreign.errors[0]).toMatchObject({ pointer: '/adGroupId', rule: 'exists' });
  });

  it('takes JSON lines all or nothing: one bad line refuses the request, listing every problem by line', async () => {
    await clickedBy(1);
    const universeBefore = (await as.get('/v1/universe').expect(200)).body;
    const good = (n: number) => ({ adGroupId: group.id, type: 'CLICK', adid: ADID(n), occurredAt: ago(2) });
    const res = await ndjson([
      good(2),
      { adGroupId: group.id, type: 'CLICK', adid: 'not-an-adid', occurredAt: ago(2) },
      good(3),
      '{"adGroupId": ',
      { adGroupId: group.id, type: 'PLAY', adid: ADID(4), occurredAt: ago(2) },
      { adGroupId: group.id, type: 'CLICK', adid: ADID(4), occurredAt: new Date(T0.getTime() + 60 * 60_000).toISOString() },
      { adGroupId: 'adg_unknown', type: 'CLICK', adid: ADID(4), occurredAt: ago(2) },
      { messageId: message.id, type: 'PLAY', appUserId: APP(4), occurredAt: ago(2), playSeconds: 4 },
      { adGroupId: group.id, type: 'CLICK', occurredAt: ago(2) },
      { adGroupId: group.id, type: 'CLICK', adid: ADID(5), occurredAt: ago(2), colour: 'red' },
    ]);
    const problem = expectProblem(res, 422);
    expect(problem.errors.map((e: { pointer: string; rule: string }) => [e.pointer, e.rule])).toEqual([
      ['/1/adid', 'device_id'],
      ['/3', 'json'],
      ['/4/playSeconds', 'required'],
      ['/5/occurredAt', 'not-future'],
      ['/6/adGroupId', 'exists'],
      ['/7/type', 'campaign-type'],
      ['/8/adid', 'required'],
      ['/9/colour', 'additionalProperties'],
    ]);
    expect(problem.errors[0].message).toMatch(/^line 2: /);
    expect(problem.detail).toContain('nothing was stored');
    // Nothing stored: the universe inbox did not grow, and the click target still counts one person.
    expect((await as.get('/v1/universe').expect(200)).body.pendingRecords).toBe(universeBefore.pendingRecords);
    await tick();
    expect((await as.get(`/v1/targets/ad-response/${clicks}`).expect(200)).body.population.count).toBe(1);

    const ok = await ndjson([
      good(2),
      good(3),
      { adGroupId: group.id, type: 'PLAY', adid: ADID(4), occurredAt: ago(2), playSeconds: 1, playPercent: 5 },
      { adGroupId: group.id, type: 'PLAY', adid: ADID(5), occurredAt: ago(2), playPercent: 25 },
      { adGroupId: group.id, type: 'CONVERSION', appUserId: APP(6), occurredAt: ago(2) },
      '',
      { messageId: message.id, type: 'CLICK', appUserId: APP(6), adid: ADID(6), occurredAt: ago(2) },
    ]);
    expect(ok.status).toBe(201);
    expect(ok.body).toEqual({ accepted: 6, notQualifyingPlays: 1 });
    await api.runtime.services.populations.refresh(clicks);
    expect((await as.get(`/v1/targets/ad-response/${clicks}`).expect(200)).body.population.count).toBe(3);
  });

  it('refuses more than 100,000 lines', async () => {
    await clickedBy(1, 2, 3);
    const line = JSON.stringify({ adGroupId: group.id, type: 'CLICK', adid: ADID(1), occurredAt: ago(1) });
    const res = await as
      .post('/v1/reactions')
      .set('Content-Type', 'application/x-ndjson')
      .send(`${line}\n`.repeat(100_001));
    expectProblem(res, 413);
    await api.runtime.services.populations.refresh(clicks);
    expect((await as.get(`/v1/targets/ad-response/${clicks}`).expect(200)).body.population.count).toBe(3);
  }, 60_000);

  it('refuses a line longer than 64 KiB before buffering it, storing nothing', async () => {
    await clickedBy(1, 2, 3);
    const line = JSON.stringify({ adGroupId: group.id, type: 'CLICK', adid: ADID(2), occurredAt: ago(1) });
    const res = await ndjson([line, `{"pad":"${'x'.repeat(200_000)}"}`, line]);
    expect(expectProblem(res, 413).detail).toContain('65536 bytes');
    await api.runtime.services.populations.refresh(clicks);
    expect((await as.get(`/v1/targets/ad-response/${clicks}`).expect(200)).body.population.count).toBe(3);
  });

  it('refuses to delete an ad group or campaign that an ad-response target reads', async () => {
    const busy = expectProblem(await as.delete(`/v1/ad-groups/${group.id}`), 409);
    expect(busy.detail).toContain('Video · 클릭 · 30일');
    expect(busy.targets).toEqual([{ id: clicks, name: 'Video · 클릭 · 30일' }]);
    expectProblem(await as.delete(`/v1/campaigns/${display.id}`), 409);
    await as.get(`/v1/ad-groups/${group.id}`).expect(200);
  });
});

describe('ad group targeting and reach', () => {
  let campaign: { id: string; name: string };
  let group: { id: string; name: string };
  let clicked: string;
  let played: string;

  beforeAll(async () => {
    campaign = await post('/v1/campaigns', { name: 'Retargeting', type: 'DISPLAY' });
    const source = await post('/v1/ad-groups', { campaignId: campaign.id, name: 'Teaser' });
    group = await post('/v1/ad-groups', { campaignId: campaign.id, name: 'Follow-up' });
    const res = await ndjson([
      ...[1, 2, 3, 4].map((n) => ({ adGroupId: source.id, type: 'CLICK', adid: ADID(n), occurredAt: ago(1) })),
      ...[3, 4, 5].map((n) => ({ adGroupId: source.id, type: 'PLAY', appUserId: APP(n), occurredAt: ago(1), playSeconds: 10 })),
    ]);
    expect(res.status).toBe(201);
    clicked = (await post('/v1/targets/ad-response', { name: 'Teaser clickers', campaignType: 'DISPLAY', sources: [source.id], combination: { type: 'ONE', reaction: 'CLICK' }, collectionDays: 7 })).id;
    played = (await post('/v1/targets/ad-response', { name: 'Teaser players', campaignType: 'DISPLAY', sources: [source.id], combination: { type: 'ONE', reaction: 'PLAY' }, collectionDays: 7 })).id;
    await tick();
  });

  it('estimates reach: people in any included target minus people in any excluded one', async () => {
    const both = await as.post(`/v1/ad-groups/${group.id}/reach`, { include: [clicked], exclude: [played] }).expect(200);
    // Clicked P1–P4, played P3–P5 (by app user id: the same people) → P1, P2.
    expect(both.body).toMatchObject({ base: { kind: 'universe', people: 6 }, included: 4, excluded: 3, reach: 2 });
    expect(both.body.targets.map((t: { role: string; target: { id: string } }) => [t.role, t.target.id])).toEqual([['include', clicked], ['exclude', played]]);
    // No include: everyone in the universe but the excluded.
    expect((await as.post(`/v1/ad-groups/${group.id}/reach`, { exclude: [played] }).expect(200)).body).toMatchObject({ included: null, excluded: 3, reach: 3 });
    // Saved targeting (empty body) is what an ad group reaches.
    await as.put(`/v1/ad-groups/${group.id}/targeting`, { include: [clicked, played] }).expect(200);
    expect((await as.post(`/v1/ad-groups/${group.id}/reach`, {}).expect(200)).body).toMatchObject({ included: 5, excluded: null, reach: 5 });
    await as.put(`/v1/ad-groups/${group.id}/targeting`, {}).expect(200);
  });

  it('refuses a target in use from deletion, lists the ad group as its usage, and deletes it once unused', async () => {
    const set = await as.put(`/v1/ad-groups/${group.id}/targeting`, { include: [clicked] }).expect(200);
    expect(set.body.targeting.include).toEqual([expect.objectContaining({ id: clicked, kind: 'ad_response', name: 'Teaser clickers', population: expect.objectContaining({ count: 4 }) })]);
    expect(set.body.targeting.exclude).toEqual([]);

    const refused = expectProblem(await as.delete(`/v1/targets/ad-response/${clicked}`), 409);
    expect(refused.detail).toContain('"Follow-up" of campaign "Retargeting"');
    const user = { type: 'ad_group', id: group.id, name: 'Follow-up', role: 'include', campaign: { id: campaign.id, name: 'Retargeting', type: 'DISPLAY' } };
    expect(refused.usage).toEqual([user]);
    expect((await as.get(`/v1/targets/${clicked}/usage`).expect(200)).body).toEqual({ targetId: clicked, items: [user] });
    expect((await as.get(`/v1/targets/ad-response/${clicked}`).expect(200)).body.usage).toEqual([user]);

    await as.put(`/v1/ad-groups/${group.id}/targeting`, { include: [], exclude: [] }).expect(200);
    expect((await as.get(`/v1/targets/${clicked}/usage`).expect(200)).body.items).toEqual([]);
    await as.delete(`/v1/targets/ad-response/${clicked}`).expect(204);
    await as.get(`/v1/targets/ad-response/${clicked}`).expect(404);
  });

  it('refuses preparing targets, a target on both sides, more than 10 per side and foreign targets', async () => {
    const fresh = (await post('/v1/targets/ad-response', { name: 'Not counted yet', campaignType: 'DISPLAY', sources: [group.id], combination: { type: 'ALL' }, collectionDays: 7 })).id;
    const preparing = expectProblem(await as.put(`/v1/ad-groups/${group.id}/targeting`, { include: [played, fresh] }), 422);
    expect(preparing.errors[0]).toMatchObject({ pointer: '/include/1', rule: 'usable' });
    expect(preparing.detail).toContain('준비중');
    expectProblem(await as.post(`/v1/ad-groups/${group.id}/reach`, { exclude: [fresh] }), 422);
    expect((await as.get(`/v1/ad-groups/${group.id}`).expect(200)).body.targeting.include).toEqual([]);

    const twice = expectProblem(await as.put(`/v1/ad-groups/${group.id}/targeting`, { include: [played], exclude: [played] }), 422);
    expect(twice.errors[0]).toMatchObject({ pointer: '/exclude/0', rule: 'conflict' });

    const many: string[] = [];
    for (let i = 0; i < 11; i++) {
      many.push((await post('/v1/targets/ad-response', { name: `Many ${i}`, campaignType: 'DISPLAY', sources: [group.id], combination: { type: 'ONE', reaction: 'CLICK' }, collectionDays: 7 })).id);
    }
    await tick();
    const tooMany = expectProblem(await as.put(`/v1/ad-groups/${group.id}/targeting`, { exclude: many }), 422);
    expect(tooMany.errors[0]).toMatchObject({ pointer: '/exclude', rule: 'max-items' });
    await as.put(`/v1/ad-groups/${group.id}/targeting`, { include: many.slice(0, 10), exclude: [played] }).expect(200);
    await as.put(`/v1/ad-groups/${group.id}/targeting`, {}).expect(200);
    for (const id of [...many, fresh]) await as.delete(`/v1/targets/ad-response/${id}`).expect(204);

    const other = await api.otherAccount();
    await api.as(other.adminToken).put(`/v1/ad-groups/${group.id}/targeting`, { include: [] }).expect(404);
    const theirs = await api.as(other.adminToken).post('/v1/campaigns', { name: 'Theirs', type: 'DISPLAY' }).expect(201);
    const theirGroup = await api.as(other.adminToken).post('/v1/ad-groups', { campaignId: theirs.body.id, name: 'Theirs' }).expect(201);
    const leak = expectProblem(await api.as(other.adminToken).put(`/v1/ad-groups/${theirGroup.body.id}/targeting`, { include: [played] }), 422);
    expect(leak.errors[0]).toMatchObject({ pointer: '/include/0', rule: 'exists' });
    expect(JSON.stringify(leak)).not.toContain('Teaser players');
  });

  it('reaches only channel friends in message campaigns; friend groups only in direct messages on their channel', async () => {
    const channel = await post('/v1/talk-channels', { name: 'Friends shop', searchId: '@friendsshop' });
    const elsewhere = await post('/v1/talk-channels', { name: 'Other shop', searchId: '@othershop' });
    await as.post(`/v1/talk-channels/${channel.id}/friends`, { friends: [2, 3, 5].map((n) => ({ appUserId: APP(n) })) }).expect(200);

    const channelCampaign = await post('/v1/campaigns', { name: 'Channel news', type: 'MESSAGE', talkChannelId: channel.id });
    const channelGroup = await post('/v1/ad-groups', { campaignId: channelCampaign.id, name: 'Channel group' });
    const friends = await as.post(`/v1/ad-groups/${channelGroup.id}/reach`, {}).expect(200);
    expect(friends.body).toMatchObject({ base: { kind: 'channel_friends', talkChannelId: channel.id, people: 3 }, reach: 3 });
    // Friends P2, P3, P5 who did not play (P3, P4, P5 played) → P2.
    expect((await as.post(`/v1/ad-groups/${channelGroup.id}/reach`, { exclude: [played] }).expect(200)).body).toMatchObject({ excluded: 3, reach: 1 });

    // A friend group of the channel: P2 and P3 (P6 is no friend of the channel).
    const upload = await as
      .post(`/v1/targets/friend-groups/uploads?channelId=${channel.id}&type=APP_USER_ID`)
      .set('Content-Type', 'text/csv')
      .send(`app_user_id\n${APP(2)}\n${APP(3)}\n${APP(6)}\n`)
      .expect(201);
    const friendGroup = await post('/v1/targets/friend-groups', { uploadId: upload.body.id, name: 'VIP friends' });
    await tick();

    const display = expectProblem(await as.put(`/v1/ad-groups/${group.id}/targeting`, { include: [friendGroup.id] }), 422);
    expect(display.errors[0]).toMatchObject({ pointer: '/include/0', rule: 'friend-group' });
    expect(display.detail).toContain('친구 전체/그룹에게 발송하기');
    expect(expectProblem(await as.put(`/v1/ad-groups/${channelGroup.id}/targeting`, { include: [friendGroup.id] }), 422).errors[0]).toMatchObject({ rule: 'friend-group' });

    const otherDirect = await post('/v1/campaigns', { name: 'Other direct', type: 'MESSAGE', messageType: 'DIRECT_FRIENDS', talkChannelId: elsewhere.id });
    const otherGroup = await post('/v1/ad-groups', { campaignId: otherDirect.id, name: 'Other direct group' });
    expect(expectProblem(await as.put(`/v1/ad-groups/${otherGroup.id}/targeting`, { include: [friendGroup.id] }), 422).errors[0]).toMatchObject({
      rule: 'friend-group-channel',
    });

    const direct = await post('/v1/campaigns', { name: 'Direct friends', type: 'MESSAGE', messageType: 'DIRECT_FRIENDS', talkChannelId: channel.id });
    const directGroup = await post('/v1/ad-groups', { campaignId: direct.id, name: 'VIP send', targeting: { include: [friendGroup.id] } });
    expect(directGroup.targeting.include.map((t: { id: string }) => t.id)).toEqual([friendGroup.id]);
    expect((await as.post(`/v1/ad-groups/${directGroup.id}/reach`, {}).expect(200)).body).toMatchObject({ base: { people: 3 }, included: 2, reach: 2 });
    expect((await as.post(`/v1/ad-groups/${directGroup.id}/reach`, { include: [friendGroup.id], exclude: [played] }).expect(200)).body.reach).toBe(1);

    // The friend group's usage (친구그룹 사용현황) is the direct-message ad group.
    expect((await as.get(`/v1/targets/${friendGroup.id}/usage`).expect(200)).body.items).toEqual([
      { type: 'ad_group', id: directGroup.id, name: 'VIP send', role: 'include', campaign: { id: direct.id, name: 'Direct friends', type: 'MESSAGE' } },
    ]);
    expectProblem(await as.delete(`/v1/targets/friend-groups/${friendGroup.id}`), 409);
    await as.delete(`/v1/ad-groups/${directGroup.id}`).expect(204);
    await as.delete(`/v1/targets/friend-groups/${friendGroup.id}`).expect(204);
  });
});
