/**
 * What collected events feed the universe inbox (src/trackers/recent.ts): every stored event is
 * stored and counted, but an identity set the tracker fed within the hour is not appended again —
 * the universe already links it. New combinations are fed, rights added later still get every
 * person (the replay reads stored events), and only stored, live events are remembered.
 */
import request from 'supertest';
import { startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
let admin: string;
let adminB: string;
let names = 0;

const ADID = (n: number) => `0000000${n % 10}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const DAY = 24 * 60 * 60 * 1000;

const collect = (trackId: string, body: unknown) => request(api.url).post(`/v1/collect/${trackId}`).send(body as object).expect(202);

async function newTracker(): Promise<string> {
  return (await api.as(admin).post('/v1/trackers', { name: `Feed pixel ${++names}` }).expect(201)).body.trackId;
}

/** Inbox rows ever appended for the account (linked + still pending). */
async function appended(token = admin): Promise<number> {
  const s = (await api.as(token).get('/v1/universe').expect(200)).body;
  return s.linkedRecords + s.pendingRecords;
}

async function eventRows(trackId: string): Promise<number> {
  const { rows } = await api.db.raw('select count(*)::int as n from tracker_events e join trackers t on t.id = e.tracker_id where t.track_id = ?', [trackId]);
  return rows[0].n;
}

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.keyFor('admin');
  const b = await api.as(api.adminToken).post('/v1/accounts', { name: 'Feed brand B' }).expect(201);
  adminB = await api.keyFor('admin', b.body.id);
}, 60_000);
afterAll(async () => api.close());

it('appends an identity set once per hour and stores every event; a new combination is fed', async () => {
  const t = await newTracker();
  const before = await appended();
  await collect(t, { event: 'pageView', adid: ADID(1) });
  await collect(t, [{ event: 'viewContent', adid: ADID(1) }, { event: 'addToCart', adid: ADID(1) }]);
  await collect(t, { event: 'signUp', adid: ADID(1), appUserId: '777' }); // links the app user to the device
  await collect(t, { event: 'pageView', adid: ADID(1), appUserId: '777' });
  expect(await appended()).toBe(before + 2);
  expect(await eventRows(t)).toBe(5);
  const person = (await api.as(admin).get('/v1/universe/people?kind=app_user_id&value=777').expect(200)).body;
  expect(person.identities.map((i: { kind: string; value: string }) => `${i.kind}:${i.value}`).sort()).toEqual([`adid:${ADID(1)}`, 'app_user_id:777']);
  const events = (await api.as(admin).get(`/v1/trackers/${t}/events`).expect(200)).body.items;
  expect(events.map((e: { event: string; count: number }) => [e.event, e.count])).toEqual([['addToCart', 1], ['pageView', 2], ['signUp', 1], ['viewContent', 1]]);
});

it('gives an account that adds a right later every person, though repeats were not fed again', async () => {
  const t = await newTracker();
  await collect(t, { event: 'pageView', adid: ADID(11) });
  await collect(t, { event: 'pageView', adid: ADID(11) });
  await api.as(adminB).post(`/v1/trackers/${t}/rights`).expect(201);
  const fed = await appended(adminB);
  await collect(t, { event: 'purchase', adid: ADID(11) }); // known to the tracker: not fed to A nor B
  expect(await appended(adminB)).toBe(fed);
  await api.as(adminB).get(`/v1/universe/people?kind=adid&value=${ADID(11)}`).expect(200);
  expect((await api.as(adminB).post(`/v1/trackers/${t}/refresh`).expect(200)).body.population.count).toBe(1);
});

it('remembers only events that were stored and happened within a day of being received', async () => {
  const t = await newTracker();
  const before = await appended();
  // A duplicate eventId with other identifiers is not stored: its identifiers are not known yet.
  await collect(t, { eventId: 'e-1', event: 'pageView', adid: ADID(21) });
  await collect(t, { eventId: 'e-1', event: 'pageView', adid: ADID(22) });
  await collect(t, { event: 'pageView', adid: ADID(22) });
  // A backfilled event (30 days old) is fed every time.
  const old = new Date(Date.now() - 30 * DAY).toISOString();
  await collect(t, { event: 'pageView', adid: ADID(23), occurredAt: old });
  await collect(t, { event: 'pageView', adid: ADID(23), occurredAt: old });
  expect(await appended()).toBe(before + 4); // 21, 22, 23, 23
  await api.as(admin).get(`/v1/universe/people?kind=adid&value=${ADID(22)}`).expect(200);
});
