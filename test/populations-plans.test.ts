/**
 * Population (모수) counts whatever the planner statistics know (issue 20). A database that already
 * holds accounts, analysed while only they existed and never again (autovacuum off here): a fresh
 * account's identities, its upload entries and friends are unknown to the statistics — the trap in
 * which a 350-phone friend group stayed 준비중 for minutes. Counts there finish in seconds, and a
 * count that cannot finish (a lock held past its timeout) fails visibly with the reason (생성실패 /
 * 조회실패), is retried with backoff and counts once it can.
 */
import type { Knex } from 'knex';
import { loadConfig } from '../src/config';
import { DEFAULT_COUNT_TIMEOUT_MS } from '../src/populations/service';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { loadPeople } from './helpers/universe';

let api: TestApi;
let fresh: { adAccountId: string; adminToken: string };
let channelId: string;
let adGroupId: string;

const GROUPS = '/v1/targets/friend-groups';
const FILES = '/v1/targets/customer-files';
const phone = (n: number) => `010-${String(1000 + Math.floor(n / 10000))}-${String(n % 10000).padStart(4, '0')}`;
const ADID = (account: number, n: number) => `00000000-0000-4000-8${account}00-${String(n).padStart(12, '0')}`;
const as = () => api.as(fresh.adminToken);

/** Person i of the fresh account: phone, app user id and ADID. */
const person = (i: number) => ({ phone: phone(900_000 + i), appUserId: String(70_000 + i), adid: ADID(9, i) });

async function friendGroup(name: string, members: number[]): Promise<string> {
  const csv = ['phone_number', ...members.map((i) => person(i).phone)].join('\n') + '\n';
  const up = await as().post(`${GROUPS}/uploads?channelId=${channelId}&type=PHONE_NUMBER`).set('Content-Type', 'text/csv').send(csv).expect(201);
  return (await as().post(GROUPS, { uploadId: up.body.id, name }).expect(201)).body.id;
}

const group = async (id: string) => (await as().get(`${GROUPS}/${id}`).expect(200)).body;

beforeAll(async () => {
  api = await startTestApi();
  // Accounts that were there before, with universes, customer files and channel friends.
  for (const a of [1, 2]) {
    const other = await api.otherAccount();
    const people = Array.from({ length: 4000 }, (_, i) => ({ phone: phone(a * 100_000 + i), adid: ADID(a, i) }));
    await loadPeople(api, other.adminToken, people);
    await api.as(other.adminToken).post('/v1/universe/link', {}).expect(200);
    const up = await api.as(other.adminToken).post(`${FILES}/uploads`).set('Content-Type', 'text/csv').send(['adid', ...people.map((p) => p.adid)].join('\n') + '\n').expect(201);
    await api.as(other.adminToken).post(FILES, { uploadId: up.body.id, name: 'Earlier file' }).expect(201);
    const channel = (await api.as(other.adminToken).post('/v1/talk-channels', { name: 'Earlier channel', searchId: `@earlier${a}` }).expect(201)).body.id;
    await api.as(other.adminToken).post(`/v1/talk-channels/${channel}/friends`, { friends: people.slice(0, 2000).map((p) => ({ phoneNumber: p.phone })) }).expect(200);
  }
  // Statistics as autovacuum left them then; from now on nothing refreshes them.
  for (const table of ['universe_identities', 'universe_people', 'universe_inbox', 'target_uploads', 'target_upload_entries', 'talk_channels', 'talk_channel_friends']) {
    await api.db.raw(`analyze ${table}`);
    await api.db.raw(`alter table ${table} set (autovacuum_enabled = off)`);
  }

  // The fresh account: 3,000 people, a channel with 700 of them as friends.
  fresh = await api.otherAccount();
  await loadPeople(api, fresh.adminToken, Array.from({ length: 3000 }, (_, i) => person(i)));
  await as().post('/v1/universe/link', {}).expect(200);
  channelId = (await as().post('/v1/talk-channels', { name: '프렌즈샵', searchId: '@fresh' }).expect(201)).body.id;
  await as().post(`/v1/talk-channels/${channelId}/friends`, { friends: Array.from({ length: 700 }, (_, i) => ({ phoneNumber: person(i).phone })) }).expect(200);
  const campaign = (await as().post('/v1/campaigns', { name: 'Direct', type: 'MESSAGE', messageType: 'DIRECT_FRIENDS', talkChannelId: channelId }).expect(201)).body;
  adGroupId = (await as().post('/v1/ad-groups', { campaignId: campaign.id, name: 'Friends' }).expect(201)).body.id;
}, 120_000);
afterAll(async () => api.close());

describe('population counts on tables the statistics do not know', () => {
  it('counts a friend group, a large customer file and the reach of a fresh account in seconds', async () => {
    // The trap is set: the planner expects next to none of the fresh account's ~9,000 identities.
    const plan = await api.db.raw(`explain (format json) select * from universe_identities where ad_account_id = ?`, [fresh.adAccountId]);
    expect(plan.rows[0]['QUERY PLAN'][0].Plan['Plan Rows']).toBeLessThan(100);

    // 350 phones, 200 of them (people 500–699) friends of the channel.
    const groupId = await friendGroup('350 phones', Array.from({ length: 350 }, (_, i) => 500 + i));
    // 60,000 ADIDs (one pass over the universe rather than a probe per ADID), 1,000 of them people's.
    const csv = ['adid', ...Array.from({ length: 60_000 }, (_, i) => ADID(9, 3 * i))].join('\n') + '\n';
    const up = await as().post(`${FILES}/uploads`).set('Content-Type', 'text/csv').send(csv).expect(201);
    const fileId = (await as().post(FILES, { uploadId: up.body.id, name: '60,000 ADIDs' }).expect(201)).body.id;

    const counted = await eventually(async () => {
      const g = await group(groupId);
      return g.population.state === 'ready' && g;
    }, 'the friend group counted');
    expect(counted).toMatchObject({ friendCount: 200, friendCountLabel: '200', population: { error: null, usable: true } });
    const file = await eventually(async () => {
      const f = (await as().get(`${FILES}/${fileId}`).expect(200)).body;
      return f.population.state === 'ready' && f;
    }, 'the customer file counted');
    expect(file).toMatchObject({ status: 'COMPLETE', population: { count: 1000 } });

    // Reach: channel friends (700) ∩ the group (200) − the file's people (every third person).
    const reach = await as().post(`/v1/ad-groups/${adGroupId}/reach`, { include: [groupId], exclude: [fileId] }).expect(200);
    expect(reach.body).toMatchObject({ base: { kind: 'channel_friends', people: 700 }, included: 200, excluded: 1000, reach: 133 });
  });

  it('fails a count that exceeds its timeout with the reason, retries it with backoff and counts once it can', async () => {
    const s = api.runtime.services;
    const T0 = new Date('2026-12-01T00:00:00Z');
    let now = T0;
    const realNow = s.clock.now;
    s.clock.now = () => now;
    s.populations.configure({ countTimeoutMs: 1000 });
    // Another session holds the friends table: every count that reads it waits past its timeout.
    let lock: Knex.Transaction | null = await api.db.transaction();
    await lock.raw('lock table talk_channel_friends in access exclusive mode');
    try {
      const groupId = await friendGroup('Locked out', Array.from({ length: 100 }, (_, i) => i));
      // The count queued at creation fails: 생성실패 with the reason, not 준비중 for good.
      const failed = await eventually(async () => {
        const g = await group(groupId);
        return g.population.state === 'failed' && g;
      }, 'the first count to fail');
      expect(failed).toMatchObject({ friendCount: null, friendCountLabel: '생성실패', population: { usable: false, nextRefreshAt: '2026-12-01T00:01:00.000Z' } });
      expect(failed.population.error).toBe(
        'Counting failed: the count took longer than 1 s (POPULATION_COUNT_TIMEOUT_MS) and was stopped; retrying at 2026-12-01T00:01:00.000Z (attempt 2 of 3)',
      );
      // A reach estimate waiting for the same table answers 503 with the reason instead of hanging.
      const reach = expectProblem(await as().post(`/v1/ad-groups/${adGroupId}/reach`, {}), 503);
      expect(reach.detail).toMatch(/took longer than 1 s/);

      // The automatic retry a minute later fails too; the next one waits two minutes.
      now = new Date(T0.getTime() + 60_000);
      await s.populations.refreshDue();
      await eventually(async () => (await group(groupId)).population.nextRefreshAt === '2026-12-01T00:03:00.000Z', 'the second attempt to fail');
      expect((await group(groupId)).population).toMatchObject({ state: 'failed', error: expect.stringMatching(/retrying at 2026-12-01T00:03:00.000Z \(attempt 3 of 3\)$/) });

      // The lock goes; the next automatic retry counts the group.
      await lock.rollback();
      lock = null;
      now = new Date(T0.getTime() + 3 * 60_000);
      await s.populations.refreshDue();
      const ready = await eventually(async () => {
        const g = await group(groupId);
        return g.population.state === 'ready' && g;
      }, 'the retry to count the group');
      expect(ready).toMatchObject({ friendCount: 100, friendCountLabel: '100', population: { error: null, usable: true } });

      // A refresh that fails three times keeps its number (조회실패), then waits for the daily
      // refresh or a refresh on request.
      lock = await api.db.transaction();
      await lock.raw('lock table talk_channel_friends in access exclusive mode');
      for (const [i, at] of [0, 60_000, 180_000].entries()) {
        now = new Date(T0.getTime() + 4 * 60_000 + at);
        if (i === 0) await s.populations.markDue(s.db, [groupId]);
        await s.populations.refreshDue();
        await eventually(async () => (await group(groupId)).population.error?.includes(i < 2 ? `attempt ${i + 2} of 3` : 'no more automatic retries'), `refresh attempt ${i + 1} to fail`);
      }
      const stale = await group(groupId);
      expect(stale).toMatchObject({ friendCount: 100, friendCountLabel: '조회실패', population: { state: 'query_failed', usable: true, nextRefreshAt: '2026-12-02T00:07:00.000Z' } });
      expect(stale.population.error).toMatch(/took longer than 1 s .*; the count of 2026-12-01T00:03:00.000Z is kept; no more automatic retries after 3 attempts; counted again at 2026-12-02T00:07:00.000Z or when you refresh it$/);
      await lock.rollback();
      lock = null;
      const refreshed = (await as().post(`/v1/targets/${groupId}/refresh`, {}).expect(200)).body;
      expect(refreshed.population).toMatchObject({ state: 'ready', count: 100, error: null });
    } finally {
      await lock?.rollback();
      s.populations.configure({ countTimeoutMs: DEFAULT_COUNT_TIMEOUT_MS });
      s.clock.now = realNow;
    }
  });

  it('reads the count timeout from POPULATION_COUNT_TIMEOUT_MS (60 s by default)', () => {
    expect(loadConfig({}).populationCountTimeoutMs).toBe(60_000);
    expect(loadConfig({ POPULATION_COUNT_TIMEOUT_MS: '5000' }).populationCountTimeoutMs).toBe(5000);
    expect(() => loadConfig({ POPULATION_COUNT_TIMEOUT_MS: '10' })).toThrow(/POPULATION_COUNT_TIMEOUT_MS must be an integer between 100/);
  });
});
