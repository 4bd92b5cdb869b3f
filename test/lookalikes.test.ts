/**
 * Lookalike targets (유사타겟) through HTTP on generated data with a planted structure:
 *
 * - a universe of 12,000 people (and 500 talk channel friends) loaded as one CSV into a profile-enabled first-party dataset with
 *   extra attributes (golf, segment, age), plus pixel purchase events; 4,000 of them share a planted
 *   profile (golf, segment "golf", age 40–55, several purchases), the others are random;
 * - the seed is a customer file of 2,400 planted people's ADIDs (+ 200 ADIDs the universe learns
 *   later); the lookalike (10 % = 1,250 people) must be AVAILABLE, report a held-out AUC well above
 *   0.5, and overlap the 1,600 remaining planted people far more than their base rate (16 %);
 * - seeds under the minimum are refused (customer file 900 < 2,000, channel friends 500 < 1,000);
 *   1 % of the universe (125 people) is 모수부족 SEED_NOT_ENOUGH;
 * - auto-update rebuilds after 7–9 days from the seed's latest population (clock moved), and never
 *   when switched off; usage in ad group targeting; another account sees 404.
 *
 * The API runs without workers (mode 'api'): the test runs the population tick and the lookalike
 * tick itself, as the scheduled jobs would.
 */
import { prng } from '../src/demo/generate';
import { CHUNK_PEOPLE } from '../src/lookalikes/service';
import { expectProblem, startTestApi, TestApi, AuthedClient } from './helpers/harness';

const DAY = 24 * 60 * 60 * 1000;
const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const BASE = '/v1/targets/lookalikes';
const PEOPLE = 12_000;
const PLANTED = 4000;
const SEED = 2400;
const LATE = 200; // planted people in the seed file whom the universe only learns before the rebuild
const FRIENDS = 500; // a talk channel's friends: people of the universe without attributes
const UNIVERSE = PEOPLE + FRIENDS;

let api: TestApi;
let as: AuthedClient;
let now: Date;
let datasetId: string;
let seedFileId: string;

const rng = prng;
const random = rng(2026);
const SEGMENTS = ['golf', 'tennis', 'gaming', 'cooking', 'travel'];

async function post(path: string, body: unknown, status = 201) {
  const res = await as.post(path, body);
  if (res.status !== status) throw new Error(`${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** One CSV row per person: planted people share a profile, the others are random. */
function personRow(n: number, planted: boolean): string {
  const golf = planted ? random() < 0.9 : random() < 0.15;
  const segment = planted ? (random() < 0.85 ? 'golf' : SEGMENTS[Math.floor(random() * 5)]) : SEGMENTS[Math.floor(random() * 5)];
  const age = planted ? 40 + Math.floor(random() * 16) : 18 + Math.floor(random() * 53);
  return [`row-${n}`, ADID(n), golf, segment, age].join(',');
}

async function loadRows(rows: string[]) {
  const csv = ['lal.rowKey,mobileIdentifiers.adid,lal.golf,lal.segment,lal.age', ...rows].join('\n') + '\n';
  const res = await as.post(`/v1/datasets/${datasetId}/data?format=csv&errorThreshold=0`).set('Content-Type', 'text/csv').send(csv);
  if (res.status !== 201 || res.body.status !== 'success') throw new Error(`load → ${res.status} ${JSON.stringify(res.body)}`);
}

async function customerFile(name: string, adids: string[]): Promise<string> {
  const up = await as.post('/v1/targets/customer-files/uploads').set('Content-Type', 'text/csv').send(['adid', ...adids].join('\n') + '\n');
  expect(up.status).toBe(201);
  return (await post('/v1/targets/customer-files', { uploadId: up.body.id, name })).id;
}

const services = () => api.runtime.services;
const countPopulations = () => services().populations.refreshDue();
const get = async (id: string) => (await as.get(`${BASE}/${id}`).expect(200)).body;

/** Member ADIDs of a lookalike as planted-people indices (members are stored as one node per person). */
async function memberIndices(id: string): Promise<number[]> {
  const rows: { node: string }[] = await api.db('lookalike_members').where({ target_id: id }).select('node');
  return rows.map((r) => {
    // Each member node is one of the person's identities: its ADID or its row key.
    const m = /^adid:0{8}-0000-4000-8000-(\d{12})$/.exec(r.node) ?? /^ns_LookalikeTestKey:row-(\d+)$/.exec(r.node);
    if (!m) throw new Error(`unexpected member node ${r.node}`);
    return Number(m[1]);
  });
}

beforeAll(async () => {
  api = await startTestApi({ mode: 'api' });
  as = api.as(api.adminToken);
  now = new Date();
  services().clock.now = () => now;

  // A first-party Individual Profile schema with extra attributes.
  await post('/v1/namespaces', { name: 'Lookalike test row key', code: 'LookalikeTestKey', type: 'cross_device' });
  const fg = await post('/v1/field-groups', {
    title: 'Lookalike test attributes',
    intendedToExtend: ['xdm:individual-profile'],
    definition: {
      lal: {
        type: 'object',
        properties: { rowKey: { type: 'string' }, golf: { type: 'boolean' }, segment: { type: 'string' }, age: { type: 'integer' } },
      },
    },
  });
  const schema = await post('/v1/schemas', {
    title: 'Lookalike test people',
    classId: 'xdm:individual-profile',
    fieldGroupIds: ['fg:mobile-identifiers', fg.id],
    identities: [
      { fieldPath: 'lal.rowKey', namespace: 'LookalikeTestKey', primary: true },
      { fieldPath: 'mobileIdentifiers.adid', namespace: 'GAID', primary: false },
    ],
  });
  await post(`/v1/schemas/${schema.id}/enable-profile`, {}, 200);
  datasetId = (await post('/v1/datasets', { name: 'Lookalike test people', schemaId: schema.id })).id;
  await post(`/v1/datasets/${datasetId}/enable-profile`, {}, 200);
  await loadRows(Array.from({ length: PEOPLE }, (_, n) => personRow(n, n < PLANTED)));

  // Behaviour: planted people bought 1–3 times, a tenth of the others once (pixel & SDK).
  const tracker = await post('/v1/trackers', { name: 'Shop pixel' });
  const events: object[] = [];
  for (let n = 0; n < PEOPLE; n++) {
    const times = n < PLANTED ? 1 + Math.floor(random() * 3) : random() < 0.1 ? 1 : 0;
    for (let i = 0; i < times; i++) events.push({ event: 'purchase', adid: ADID(n) });
    if (random() < 0.5) events.push({ event: 'pageView', adid: ADID(n) });
  }
  for (let i = 0; i < events.length; i += 1000) await post(`/v1/collect/${tracker.trackId}`, { events: events.slice(i, i + 1000) }, 202);

  // The seed: 2,400 planted people's ADIDs, and 200 more the universe does not know yet.
  seedFileId = await customerFile('Golf buyers', [
    ...Array.from({ length: SEED }, (_, n) => ADID(n)),
    ...Array.from({ length: LATE }, (_, i) => ADID(20_000 + i)),
  ]);
}, 120_000);
afterAll(async () => api?.close());

describe('seeds (SEED 종류, step 1)', () => {
  it('lists customer files, channel friends and ad-response targets with their population; refuses seeds under the minimum', async () => {
    // Not counted yet: listed, not selectable.
    let seeds = (await as.get(`${BASE}/seeds`).expect(200)).body.items;
    expect(seeds.find((s: any) => s.id === seedFileId)).toMatchObject({ type: 'CUSTOMER_FILE', population: null, selectable: false, minimum: 2000 });

    const smallFileId = await customerFile('Small file', Array.from({ length: 900 }, (_, i) => ADID(PLANTED + i)));
    const channel = await post('/v1/talk-channels', { name: 'Golf club', searchId: '@golfclub' });
    const friends = Array.from({ length: FRIENDS }, (_, i) => ({ phoneNumber: `010-7000-${String(i).padStart(4, '0')}` }));
    await post(`/v1/talk-channels/${channel.id}/friends`, { friends }, 200);
    await countPopulations();

    seeds = (await as.get(`${BASE}/seeds`).expect(200)).body.items;
    expect(seeds.find((s: any) => s.id === seedFileId)).toEqual({ type: 'CUSTOMER_FILE', kind: 'customer_file', id: seedFileId, name: 'Golf buyers', population: SEED, minimum: 2000, selectable: true });
    const small = seeds.find((s: any) => s.id === smallFileId);
    expect(small).toMatchObject({ population: 900, selectable: false });
    expect(small.reason).toContain('모수가 2,000명 이상인 고객파일만 선택할 수 있습니다');
    expect(seeds.find((s: any) => s.id === channel.id)).toMatchObject({ type: 'KAKAO_USERS', kind: 'talk_channel', population: 500, minimum: 1000, selectable: false });

    // Creating from them anyway: 422 naming the minimum.
    const p1 = expectProblem(await as.post(BASE, { seed: { type: 'CUSTOMER_FILE', id: smallFileId } }), 422);
    expect(p1.errors[0]).toMatchObject({ pointer: '/seed/id', rule: 'minimum' });
    expect(p1.errors[0].message).toMatch(/모수가 2,000명 이상인 고객파일만 선택할 수 있습니다.*at least 2,000.*900/);
    const p2 = expectProblem(await as.post(BASE, { seed: { type: 'KAKAO_USERS', id: channel.id } }), 422);
    expect(p2.errors[0].message).toMatch(/1,000명 이상.*at least 1,000.*500/);
    // The wrong seed type, a size out of range.
    expectProblem(await as.post(BASE, { seed: { type: 'KAKAO_USERS', id: seedFileId } }), 422);
    expectProblem(await as.post(BASE, { seed: { type: 'CUSTOMER_FILE', id: channel.id } }), 422);
    expect(expectProblem(await as.post(BASE, { seed: { type: 'CUSTOMER_FILE', id: seedFileId }, size: 11 }), 422).errors[0].pointer).toBe('/size');
    expect((await as.get(BASE).expect(200)).body.items).toEqual([]);
  }, 60_000);
});

describe('a lookalike of a planted structure', () => {
  let wide: any;
  let narrow: any;
  let fixed: any;
  let buildMs: number;

  beforeAll(async () => {
    await countPopulations();
    // Step 2: the seed, an auto-generated name, the size.
    wide = await post(BASE, { seed: { type: 'CUSTOMER_FILE', id: seedFileId }, size: 10 });
    narrow = await post(BASE, { seed: { type: 'CUSTOMER_FILE', id: seedFileId }, size: 1, autoUpdate: false });
    fixed = await post(BASE, { seed: { type: 'CUSTOMER_FILE', id: seedFileId }, size: 10, name: 'Golf lookalike, no auto-update', autoUpdate: false });
    // 준비중: not usable in ad group targeting before its first build.
    const campaign = await post('/v1/campaigns', { name: 'Too early', type: 'DISPLAY' });
    const early = expectProblem(await as.post('/v1/ad-groups', { campaignId: campaign.id, name: 'Early', targeting: { include: [wide.id], exclude: [] } }), 422);
    expect(early.errors[0]).toMatchObject({ pointer: '/targeting/include/0', rule: 'usable' });
    const t0 = Date.now();
    expect(await services().lookalikes.tick()).toBe(3);
    buildMs = (Date.now() - t0) / 3;
  }, 120_000);

  it('is STANDBY (준비중) until built, then AVAILABLE with a population and held-out quality', async () => {
    expect(wide).toMatchObject({ kind: 'lookalike', name: 'Golf buyers 유사타겟 10%', status: 'STANDBY', statusLabel: '준비중', size: 10, autoUpdate: true, updatedAt: null, builds: 0 });
    expect(wide.population.state).toBe('preparing');
    expect(wide.seed).toMatchObject({ type: 'CUSTOMER_FILE', typeLabel: '고객파일', id: seedFileId, name: 'Golf buyers', population: SEED, minimum: 2000 });

    const built = await get(wide.id);
    expect(built).toMatchObject({ status: 'AVAILABLE', statusLabel: '사용가능', builds: 1, error: null });
    expect(built.population).toMatchObject({ state: 'ready', count: 1250, minimum: 1000, usable: true });
    expect(built.quality.heldOutSeed).toBe(480); // 20 % of the 2,400 seed people
    expect(built.quality.heldOutOthers).toBe(480);
    expect(built.quality.auc).toBeGreaterThan(0.8);
    expect(built.quality.recallAtSize).toBeGreaterThan(0.5);
    expect(built.lastBuild).toMatchObject({ number: 1, seedPopulation: SEED, universePeople: UNIVERSE, scoredPeople: UNIVERSE - SEED, resultPeople: 1250, trainingSeed: 1920 });
    // What makes the seed distinctive: the planted attributes and behaviour.
    const strong = built.lastBuild.topFeatures.slice(0, 5).map((f: any) => f.feature);
    expect(strong).toEqual(expect.arrayContaining(['lal.segment = golf']));
    expect(built.lastBuild.topFeatures.map((f: any) => f.feature)).toEqual(expect.arrayContaining(['pixel:purchase']));
    // 타겟 업데이트 일시 and the next auto-update 7–9 days later.
    expect(Date.parse(built.updatedAt)).toBe(now.getTime());
    const next = Date.parse(built.nextBuildAt) - Date.parse(built.updatedAt);
    expect(next).toBeGreaterThanOrEqual(7 * DAY);
    expect(next).toBeLessThan(9 * DAY);
    // eslint-disable-next-line no-console
    console.log(`lookalike build: ${Math.round(buildMs)} ms per build (12,500 people), AUC ${built.quality.auc}, recall@10% ${built.quality.recallAtSize}`);
  });

  it('overlaps the remaining planted people far more than random', async () => {
    const members = await memberIndices(wide.id);
    expect(members).toHaveLength(1250); // one node per person
    expect(new Set(members).size).toBe(1250);
    expect(members.filter((n) => n < SEED)).toEqual([]); // seed people are never members
    const planted = members.filter((n) => n >= SEED && n < PLANTED).length;
    const precision = planted / members.length;
    const baseRate = (PLANTED - SEED) / (UNIVERSE - SEED);
    // eslint-disable-next-line no-console
    console.log(`lookalike precision ${precision.toFixed(3)} vs base rate ${baseRate.toFixed(3)}`);
    expect(precision).toBeGreaterThan(0.7);
    expect(precision).toBeGreaterThan(3 * baseRate);
  });

  it('a result under 1,000 people is 모수부족 (SEED_NOT_ENOUGH)', async () => {
    const built = await get(narrow.id);
    expect(built).toMatchObject({ name: 'Golf buyers 유사타겟 1%', status: 'SEED_NOT_ENOUGH', statusLabel: '모수부족', size: 1 });
    expect(built.population).toMatchObject({ state: 'too_small', count: 125, minimum: 1000 });
  });

  it('is usable in ad group targeting; deleting it (or its seed) while used is refused', async () => {
    const campaign = await post('/v1/campaigns', { name: 'Golf season', type: 'DISPLAY' });
    const group = await post('/v1/ad-groups', { campaignId: campaign.id, name: 'Lookalikes', targeting: { include: [wide.id], exclude: [] } });
    const reach = await post(`/v1/ad-groups/${group.id}/reach`, {}, 200);
    expect(reach.reach).toBe(1250);
    const inUse = expectProblem(await as.delete(`${BASE}/${wide.id}`), 409);
    expect(inUse.detail).toContain('Lookalikes');
    // The seed lists its lookalikes as users.
    const usage = (await as.get(`/v1/targets/${seedFileId}/usage`).expect(200)).body.items;
    expect(usage.map((u: any) => u.id).sort()).toEqual([wide.id, narrow.id, fixed.id].sort());
    expect(usage[0]).toMatchObject({ type: 'lookalike', role: 'seed' });
    expectProblem(await as.delete(`/v1/targets/customer-files/${seedFileId}`), 409);
    // Names stay unique per account.
    expect(expectProblem(await as.post(BASE, { seed: { type: 'CUSTOMER_FILE', id: seedFileId }, name: wide.name }), 409).errors[0].pointer).toBe('/name');
    await as.delete(`/v1/ad-groups/${group.id}`).expect(204);
  });

  it('auto-update rebuilds after 7–9 days from the seed\'s latest population; switched off, never', async () => {
    const before = await get(wide.id);
    const membersBefore = new Set(await memberIndices(wide.id));
    const fixedBefore = await get(fixed.id);
    expect(fixedBefore).toMatchObject({ autoUpdate: false, nextBuildAt: null, builds: 1 });

    // The universe learns the 200 planted people of the seed file it did not know.
    await loadRows(Array.from({ length: LATE }, (_, i) => personRow(20_000 + i, true)));

    // Before the interval: nothing is due.
    now = new Date(now.getTime() + 6 * DAY);
    expect(await services().lookalikes.tick()).toBe(0);

    now = new Date(now.getTime() + 3 * DAY + 60_000); // 9 days and a minute after the build
    expect(await services().lookalikes.tick()).toBe(1); // wide; not the two switched off
    const after = await get(wide.id);
    expect(after).toMatchObject({ status: 'AVAILABLE', builds: 2 });
    expect(Date.parse(after.updatedAt)).toBe(now.getTime());
    expect(after.updatedAt).not.toBe(before.updatedAt);
    expect(after.seed.population).toBe(SEED + LATE);
    expect(after.lastBuild).toMatchObject({ number: 2, seedPopulation: SEED + LATE, universePeople: UNIVERSE + LATE });
    const membersAfter = new Set(await memberIndices(wide.id));
    expect(membersAfter).not.toEqual(membersBefore);
    for (let i = 0; i < LATE; i++) expect(membersAfter.has(20_000 + i)).toBe(false); // now seed people
    expect(after.population.count).toBe(Math.round(0.1 * (UNIVERSE + LATE)));

    const fixedAfter = await get(fixed.id);
    expect(fixedAfter).toMatchObject({ builds: 1, nextBuildAt: null, updatedAt: fixedBefore.updatedAt });

    // Switched back on: due 7–9 days after its last build, i.e. now.
    const on = (await as.patch(`${BASE}/${fixed.id}`, { autoUpdate: true }).expect(200)).body;
    expect(Date.parse(on.nextBuildAt)).toBe(now.getTime());
    // Switched off: no next build.
    const off = (await as.patch(`${BASE}/${wide.id}`, { autoUpdate: false }).expect(200)).body;
    expect(off.nextBuildAt).toBeNull();
  }, 120_000);

  it('renames; a size change rebuilds at once', async () => {
    const renamed = (await as.patch(`${BASE}/${narrow.id}`, { name: 'Golf lookalike 1%' }).expect(200)).body;
    expect(renamed.name).toBe('Golf lookalike 1%');
    const resized = (await as.patch(`${BASE}/${narrow.id}`, { size: 9 }).expect(200)).body;
    expect(resized).toMatchObject({ size: 9, status: 'SEED_NOT_ENOUGH' });
    expect(Date.parse(resized.nextBuildAt)).toBeLessThanOrEqual(now.getTime());
    // Small chunks: the universe is scored across many person ranges (features read back range by
    // range from the build's tables, seed people left out in each) — nobody lost or counted twice.
    services().lookalikes.chunkPeople = 700;
    try {
      expect(await services().lookalikes.buildNow(narrow.id)).toBe(true);
    } finally {
      services().lookalikes.chunkPeople = CHUNK_PEOPLE;
    }
    const rebuilt = await get(narrow.id);
    // Auto-update is off for this one: the size change still rebuilt it, and nothing more is planned.
    expect(rebuilt).toMatchObject({ size: 9, status: 'AVAILABLE', builds: 2, autoUpdate: false, nextBuildAt: null });
    expect(rebuilt.population.count).toBe(Math.round(0.09 * (UNIVERSE + LATE)));
    expect(rebuilt.lastBuild).toMatchObject({ universePeople: UNIVERSE + LATE, scoredPeople: UNIVERSE - SEED, resultPeople: rebuilt.population.count });
    expect(rebuilt.quality.auc).toBeGreaterThan(0.8);
    const members = await memberIndices(narrow.id);
    expect(new Set(members).size).toBe(rebuilt.population.count);
    expect(members.filter((n) => n < SEED || n >= 20_000)).toEqual([]); // seed people are never members
  }, 60_000);

  it("Kakao users seeds: a talk channel's friends or an ad-response target; a seed with nobody outside it", async () => {
    const other = await api.otherAccount();
    const theirs = api.as(other.adminToken);
    const channel = (await theirs.post('/v1/talk-channels', { name: 'Brand channel', searchId: '@brand' }).expect(201)).body;
    const friends = Array.from({ length: 1000 }, (_, i) => ({ phoneNumber: `010-8${String(i).padStart(3, '0')}-5678` }));
    await theirs.post(`/v1/talk-channels/${channel.id}/friends`, { friends }).expect(200);
    // The universe is the seed: nobody to score, 모수부족 with no quality to report.
    const alone = (await theirs.post(BASE, { seed: { type: 'KAKAO_USERS', id: channel.id } }).expect(201)).body;
    expect(alone).toMatchObject({ name: 'Brand channel 유사타겟 5%', seed: { type: 'KAKAO_USERS', typeLabel: '카카오 사용자', kind: 'talk_channel', population: 1000 } });
    expect(await services().lookalikes.buildNow(alone.id)).toBe(true);
    expect((await theirs.get(`${BASE}/${alone.id}`).expect(200)).body).toMatchObject({
      status: 'SEED_NOT_ENOUGH',
      quality: null,
      population: { state: 'too_small', count: 0 },
      lastBuild: { seedPopulation: 1000, universePeople: 1000, scoredPeople: 0, resultPeople: 0 },
    });
    // The seed shrank under its minimum before the first build: 사용불가 (ERROR), delete and create again.
    const shrinking = (await theirs.post(BASE, { seed: { type: 'KAKAO_USERS', id: channel.id }, name: 'Shrinking' }).expect(201)).body;
    await theirs.post(`/v1/talk-channels/${channel.id}/friends/remove`, { friends: friends.slice(0, 1) }).expect(200);
    expect(await services().lookalikes.buildNow(shrinking.id)).toBe(true);
    const failed = (await theirs.get(`${BASE}/${shrinking.id}`).expect(200)).body;
    expect(failed).toMatchObject({ status: 'ERROR', statusLabel: '사용불가', builds: 0, nextBuildAt: null, population: { state: 'preparing', usable: false } });
    expect(failed.error).toMatch(/at least 1,000.*999.*delete the lookalike and create it again/);
    expectProblem(await theirs.patch(`${BASE}/${shrinking.id}`, { size: 3 }), 409);
    await theirs.delete(`${BASE}/${shrinking.id}`).expect(204);
    await theirs.post(`/v1/talk-channels/${channel.id}/friends`, { friends: friends.slice(0, 1) }).expect(200);

    // 1,000 people who clicked an ad: an ad-response target as the seed; the channel's friends are the others.
    const campaign = (await theirs.post('/v1/campaigns', { name: 'Launch', type: 'DISPLAY' }).expect(201)).body;
    const group = (await theirs.post('/v1/ad-groups', { campaignId: campaign.id, name: 'Video' }).expect(201)).body;
    const at = new Date(now.getTime() - DAY).toISOString();
    const clicks = Array.from({ length: 1000 }, (_, i) => JSON.stringify({ adGroupId: group.id, type: 'CLICK', adid: ADID(50_000 + i), occurredAt: at })).join('\n');
    await theirs.post('/v1/reactions').set('Content-Type', 'application/x-ndjson').send(clicks + '\n').expect(201);
    const clickers = (
      await theirs.post('/v1/targets/ad-response', { campaignType: 'DISPLAY', sources: [group.id], combination: { type: 'ONE', reaction: 'CLICK' }, collectionDays: 30 }).expect(201)
    ).body;
    await countPopulations();
    const seeds = (await theirs.get(`${BASE}/seeds`).expect(200)).body.items;
    expect(seeds.map((s: any) => [s.kind, s.population, s.selectable]).sort()).toEqual([
      ['ad_response', 1000, true],
      ['talk_channel', 1000, true],
    ]);
    const lookalike = (await theirs.post(BASE, { seed: { type: 'KAKAO_USERS', id: clickers.id }, size: 10 }).expect(201)).body;
    expect(lookalike.seed).toMatchObject({ kind: 'ad_response', population: 1000 });
    expect(await services().lookalikes.buildNow(lookalike.id)).toBe(true);
    const built = (await theirs.get(`${BASE}/${lookalike.id}`).expect(200)).body;
    expect(built).toMatchObject({ status: 'SEED_NOT_ENOUGH', population: { count: 200 }, lastBuild: { universePeople: 2000, scoredPeople: 1000 } });
    expect(built.quality.heldOutSeed).toBe(200);
    // The channel's friends are used as a feature here; for the channel-seeded lookalike it would be the seed itself.
    expect(built.lastBuild.topFeatures.map((f: any) => f.feature)).toEqual(expect.arrayContaining([`friend:${channel.id}`]));
    // A seed in use cannot be deleted.
    expectProblem(await theirs.delete(`/v1/talk-channels/${channel.id}`), 409);
    expectProblem(await theirs.delete(`/v1/targets/ad-response/${clickers.id}`), 409);
  }, 60_000);

  it("answers 404 for another account's lookalike and does not take its seeds", async () => {
    const other = await api.otherAccount();
    const theirs = api.as(other.adminToken);
    expectProblem(await theirs.get(`${BASE}/${wide.id}`), 404);
    expectProblem(await theirs.patch(`${BASE}/${wide.id}`, { name: 'Mine now' }), 404);
    expectProblem(await theirs.delete(`${BASE}/${fixed.id}`), 404);
    expect((await theirs.get(BASE).expect(200)).body.items).toEqual([]);
    expect((await theirs.get(`${BASE}/seeds`).expect(200)).body.items).toEqual([]);
    const p = expectProblem(await theirs.post(BASE, { seed: { type: 'CUSTOMER_FILE', id: seedFileId } }), 422);
    expect(p.errors[0].pointer).toBe('/seed/id');
    // And the owner can still delete an unused one.
    await as.delete(`${BASE}/${fixed.id}`).expect(204);
    expectProblem(await as.get(`${BASE}/${fixed.id}`), 404);
  });
});
