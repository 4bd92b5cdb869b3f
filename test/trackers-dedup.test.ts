/**
 * Pixel & SDK collection without duplicates (issue 18): an event's `eventId` is stored once per
 * tracker within 48 hours — repeated in one request, in two requests of one group commit, or in a
 * client's retry of an acknowledged request — and the answer says how many were duplicates. Another
 * tracker's same id is its own; an id older than 48 hours counts as new; the hourly job forgets
 * old ids. Through HTTP against the real database.
 */
import request from 'supertest';
import { EVENT_IDS_JOB } from '../src/trackers/service';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';

let api: TestApi;
let admin: string;

const ADID = (n: number) => `0000000${n % 10}-0000-4000-8000-${String(n).padStart(12, '0')}`;
let names = 0;

const collect = (trackId: string, body: unknown) => request(api.url).post(`/v1/collect/${trackId}`).send(body as object);

async function newTracker(): Promise<string> {
  const res = await api.as(admin).post('/v1/trackers', { name: `Dedup pixel ${++names}` }).expect(201);
  return res.body.trackId;
}

/** The stored events of a tracker: event id and adid, in the order stored. */
async function stored(trackId: string): Promise<{ event_id: string | null; adid: string | null }[]> {
  return api.db('tracker_events as e').join('trackers as t', 't.id', 'e.tracker_id').where('t.track_id', trackId).orderBy('e.seq').select('e.event_id', 'e.adid');
}

/** The event list's counts (read from the per-day rollup). */
async function counted(trackId: string): Promise<Record<string, number>> {
  const res = await api.as(admin).get(`/v1/trackers/${trackId}/events`).expect(200);
  return Object.fromEntries(res.body.items.map((i: { event: string; count: number }) => [i.event, i.count]));
}

/** Moves the ids of a tracker back in time, as if they had been received `hours` earlier. */
async function ageIds(trackId: string, hours: number): Promise<void> {
  await api.db.raw(
    `update tracker_event_ids set received_at = received_at - make_interval(hours => ?) where tracker_id = (select id from trackers where track_id = ?)`,
    [hours, trackId],
  );
}

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.keyFor('admin');
}, 60_000);
afterAll(async () => api.close());

describe('eventId', () => {
  it('stores an eventId repeated in one request once, the first of them, and says how many were duplicates', async () => {
    const t = await newTracker();
    const res = await collect(t, {
      events: [
        { eventId: 'order-1', event: 'purchase', adid: ADID(1) },
        { eventId: 'order-1', event: 'purchase', adid: ADID(2) },
        { event: 'pageView', adid: ADID(3) },
        { event: 'pageView', adid: ADID(3) },
      ],
    }).expect(202);
    expect(res.body).toEqual({ accepted: 4, duplicates: 1 });
    // Events without an id are never taken for duplicates.
    expect(await stored(t)).toEqual([
      { event_id: 'order-1', adid: ADID(1) },
      { event_id: null, adid: ADID(3) },
      { event_id: null, adid: ADID(3) },
    ]);
    expect(await counted(t)).toEqual({ pageView: 2, purchase: 1 });
  });

  it('stores an eventId sent by two requests of one group commit once', async () => {
    const t = await newTracker();
    // The first request's two events wait; the second's two make the batch full: one batch of both.
    api.runtime.services.trackers.configure({ flushMs: 60_000, maxBatch: 4 });
    try {
      const [a, b] = await Promise.all([
        collect(t, [{ eventId: 'same', event: 'signUp', adid: ADID(11) }, { eventId: 'a-only', event: 'pageView', adid: ADID(11) }]),
        collect(t, [{ eventId: 'same', event: 'signUp', adid: ADID(12) }, { eventId: 'b-only', event: 'pageView', adid: ADID(12) }]),
      ]);
      expect([a.status, b.status]).toEqual([202, 202]);
      expect(a.body.accepted + b.body.accepted).toBe(4);
      expect(a.body.duplicates + b.body.duplicates).toBe(1);
    } finally {
      api.runtime.services.trackers.configure({ flushMs: 5, maxBatch: 5000 });
    }
    const rows = await stored(t);
    expect(rows.map((r) => r.event_id).sort()).toEqual(['a-only', 'b-only', 'same']);
    expect(await counted(t)).toEqual({ pageView: 2, signUp: 1 });
  });

  it('answers a retry of an acknowledged request with 202, all duplicates, and stores nothing again', async () => {
    const t = await newTracker();
    const body = { events: [{ eventId: 'e-1', event: 'addToCart', adid: ADID(21) }, { eventId: 'e-2', event: 'purchase', adid: ADID(21), properties: { value: 1000 } }] };
    await collect(t, body).expect(202, { accepted: 2, duplicates: 0 });
    await collect(t, body).expect(202, { accepted: 2, duplicates: 2 });
    // A retry carrying one more event stores just that one.
    await collect(t, { events: [...body.events, { eventId: 'e-3', event: 'pageView', adid: ADID(21) }] }).expect(202, { accepted: 3, duplicates: 2 });
    // The beacon shares the ids.
    await request(api.url).get(`/v1/collect/${t}?event=pageView&adid=${ADID(21)}&eventId=e-3`).expect(200);
    await request(api.url).get(`/v1/collect/${t}?event=pageView&adid=${ADID(21)}&eventId=e-4`).expect(200);
    expect((await stored(t)).map((r) => r.event_id)).toEqual(['e-1', 'e-2', 'e-3', 'e-4']);
    expect(await counted(t)).toEqual({ addToCart: 1, pageView: 2, purchase: 1 });
  });

  it("keeps another tracker's same eventId apart", async () => {
    const [t1, t2] = [await newTracker(), await newTracker()];
    await collect(t1, { eventId: 'shared-id', event: 'pageView', adid: ADID(31) }).expect(202, { accepted: 1, duplicates: 0 });
    await collect(t2, { eventId: 'shared-id', event: 'pageView', adid: ADID(31) }).expect(202, { accepted: 1, duplicates: 0 });
    expect(await stored(t1)).toHaveLength(1);
    expect(await stored(t2)).toHaveLength(1);
  });

  it('stores an eventId first received more than 48 hours ago again, even before the cleanup forgot it', async () => {
    const t = await newTracker();
    const event = { eventId: 'late-retry', event: 'viewContent', adid: ADID(41) };
    await collect(t, event).expect(202, { accepted: 1, duplicates: 0 });
    await ageIds(t, 47);
    await collect(t, event).expect(202, { accepted: 1, duplicates: 1 }); // 47 h: still the same event
    await ageIds(t, 2);
    await collect(t, event).expect(202, { accepted: 1, duplicates: 0 }); // 49 h: a new one
    await collect(t, event).expect(202, { accepted: 1, duplicates: 1 }); // and its own 48 hours start now
    expect(await stored(t)).toHaveLength(2);
  });

  it('refuses an eventId that is not a string of 1–128 characters with a pointer to it, storing nothing', async () => {
    const t = await newTracker();
    const res = await collect(t, {
      events: [
        { eventId: 'fine', event: 'pageView', adid: ADID(51) },
        { eventId: '', event: 'pageView', adid: ADID(52) },
        { eventId: 'x'.repeat(129), event: 'pageView', adid: ADID(53) },
        { eventId: 42, event: 'pageView', adid: ADID(54) },
      ],
    });
    const problem = expectProblem(res, 422);
    expect(problem.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/events/1/eventId', '/events/2/eventId', '/events/3/eventId']);
    expectProblem(await request(api.url).get(`/v1/collect/${t}?event=pageView&adid=${ADID(55)}&eventId=${'y'.repeat(129)}`), 422);
    await collect(t, { eventId: 'y'.repeat(128), event: 'pageView', adid: ADID(55) }).expect(202);
    expect(await stored(t)).toHaveLength(1);
  });
});

describe('forgetting old ids', () => {
  it('the hourly job deletes ids received more than 48 hours ago and keeps the others', async () => {
    const [old, recent] = [await newTracker(), await newTracker()];
    await collect(old, [{ eventId: 'o-1', event: 'pageView', adid: ADID(61) }, { eventId: 'o-2', event: 'pageView', adid: ADID(61) }]).expect(202);
    await collect(recent, { eventId: 'r-1', event: 'pageView', adid: ADID(62) }).expect(202);
    // More than one chunk of the job's bounded deletes.
    await api.db.raw(
      `insert into tracker_event_ids (tracker_id, event_id, received_at)
       select (select id from trackers where track_id = ?), 'bulk-' || n, now() from generate_series(1, 10050) n`,
      [old],
    );
    await ageIds(old, 49);
    await ageIds(recent, 47);
    const ids = (trackId: string) =>
      api.db('tracker_event_ids as i').join('trackers as t', 't.id', 'i.tracker_id').where('t.track_id', trackId).orderBy('i.event_id').pluck('i.event_id');
    await api.runtime.services.jobs.enqueue(EVENT_IDS_JOB, {});
    await eventually(async () => (await ids(old)).length === 0, 'the ids older than 48 hours to be deleted');
    expect(await ids(recent)).toEqual(['r-1']);
    // Declared on the one schedule of periodic work, hourly.
    const schedule = await api.db('schedules').where({ name: EVENT_IDS_JOB }).first();
    expect(schedule.recurrence).toMatchObject({ frequency: 'hour', interval: 1 });
  });
});
