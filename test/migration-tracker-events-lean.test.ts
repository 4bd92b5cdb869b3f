/**
 * Migration 019: tracker_events without a foreign key to trackers. Deleting a tracker (only ever
 * with its organisation) still removes its events and event ids, by a statement-level trigger;
 * the population read uses the (tracker_id, event, occurred_at) index.
 */
import request from 'supertest';
import { startTestApi, TestApi } from './helpers/harness';

let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
}, 60_000);
afterAll(async () => api.close());

it("deleting a tracker removes its events and event ids, and no other tracker's", async () => {
  const admin = await api.keyFor('admin');
  const [gone, kept] = await Promise.all(['Gone pixel', 'Kept pixel'].map(async (name) => (await api.as(admin).post('/v1/trackers', { name }).expect(201)).body.trackId));
  for (const t of [gone, kept]) {
    await request(api.url).post(`/v1/collect/${t}`).send({ eventId: 'same', event: 'pageView', cookieId: 'ck' }).expect(202);
  }
  const idOf = async (trackId: string) => (await api.db('trackers').where({ track_id: trackId }).first('id')).id as string;
  const [goneId, keptId] = [await idOf(gone), await idOf(kept)];
  await api.db('trackers').where({ id: goneId }).delete();
  const count = async (table: string, trackerId: string) => Number((await api.db(table).where({ tracker_id: trackerId }).count({ n: '*' }))[0].n);
  expect([await count('tracker_events', goneId), await count('tracker_event_ids', goneId)]).toEqual([0, 0]);
  expect([await count('tracker_events', keptId), await count('tracker_event_ids', keptId)]).toEqual([1, 1]);
});

it('reads a tracker’s window through the (tracker_id, event, occurred_at) index', async () => {
  await api.db.transaction(async (tx) => {
    await tx.raw('set local enable_seqscan = off');
    const plan = (await tx.raw(`explain select nodes from tracker_events where tracker_id = 'trk_x' and occurred_at >= now() - interval '120 days'`)).rows
      .map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN'])
      .join('\n');
    expect(plan).toContain('tracker_events_event_window');
  });
});
