/**
 * Pixel & SDK through HTTP: trackers and rights (MASTER / MEMBER, the 권한 추가 list, another
 * organisation's trackers), the public collection endpoint (single, batch, beacon, CORS, 422 for
 * any invalid event, rate limit, group commit under concurrency, durability on failures and on
 * stop), collection status and last event time, and populations over 120 days, including
 * event-based pixel & SDK targets.
 */
import request from 'supertest';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { loadPeople } from './helpers/universe';

let api: TestApi;
let admin: string; // account-bound admin of account A (MASTER of the trackers it creates)
let marketer: string;
let accountB: string;
let adminB: string; // second ad account of the same organisation
let otherOrg: { organizationId: string; adAccountId: string; adminToken: string };

const ADID = (n: number) => `0000000${n % 10}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const DAY = 24 * 60 * 60 * 1000;
const realNow = () => new Date();
/** A whole second `days` ago: moved clocks stay in the past, so leases taken at them never block real time. */
const daysAgo = (days: number) => new Date(Math.floor((Date.now() - days * DAY) / 1000) * 1000);

function setClock(at: Date | (() => Date)) {
  api.runtime.services.clock.now = typeof at === 'function' ? at : () => at;
}

const collect = (trackId: string, body: unknown) => request(api.url).post(`/v1/collect/${trackId}`).set('Origin', 'https://shop.example').send(body as object);

async function eventRows(trackId: string): Promise<number> {
  const { rows } = await api.db.raw('select count(*)::int as n from tracker_events e join trackers t on t.id = e.tracker_id where t.track_id = ?', [trackId]);
  return rows[0].n;
}

async function newTracker(name: string, token = admin) {
  const res = await api.as(token).post('/v1/trackers', { name }).expect(201);
  return res.body as { trackId: string; name: string; role: string; status: string; lastEventAt: string | null };
}

async function trackerPopulation(trackId: string, token = admin): Promise<number | null> {
  const res = await api.as(token).post(`/v1/trackers/${trackId}/refresh`).expect(200);
  return res.body.population.count;
}

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.keyFor('admin');
  marketer = await api.keyFor('marketer');
  const b = await api.as(api.adminToken).post('/v1/accounts', { name: 'Second brand' }).expect(201);
  accountB = b.body.id;
  adminB = await api.keyFor('admin', accountB);
  otherOrg = await api.otherAccount();
}, 60_000);
afterAll(async () => api.close());
afterEach(() => setClock(realNow));

describe('trackers and rights', () => {
  it('creates a tracker with a numeric track_id; the creator is MASTER and collection has not started', async () => {
    const t = await newTracker('Web shop pixel');
    expect(t.trackId).toMatch(/^[1-9][0-9]{18}$/);
    expect(t).toMatchObject({ name: 'Web shop pixel', role: 'MASTER', status: 'PRE_COLLECTION', lastEventAt: null });
    const second = await newTracker('App SDK');
    expect(BigInt(second.trackId) - BigInt(t.trackId)).not.toBe(1n); // not sequential
    expectProblem(await api.as(admin).post('/v1/trackers', { name: 'web shop PIXEL' }), 409);
    const list = await api.as(marketer).get('/v1/trackers').expect(200);
    expect(list.body.items.map((i: { trackId: string }) => i.trackId)).toEqual(expect.arrayContaining([t.trackId, second.trackId]));
  });

  it('lists what another ad account of the organisation may add, hides granted ones, and grants MEMBER rights', async () => {
    const t = await newTracker('Shared pixel');
    // Account A holds it: its 권한 추가 list hides it, the full list flags it.
    const availableA = await api.as(admin).get('/v1/trackers/available').expect(200);
    expect(availableA.body.items.map((i: { trackId: string }) => i.trackId)).not.toContain(t.trackId);
    const allA = await api.as(admin).get('/v1/trackers/available?all=true').expect(200);
    expect(allA.body.items.find((i: { trackId: string }) => i.trackId === t.trackId)).toMatchObject({ added: true, role: 'MASTER' });

    const availableB = await api.as(adminB).get('/v1/trackers/available').expect(200);
    expect(availableB.body.items.find((i: { trackId: string }) => i.trackId === t.trackId)).toMatchObject({ name: 'Shared pixel', added: false });
    expectProblem(await api.as(adminB).get(`/v1/trackers/${t.trackId}`), 404); // no right yet

    const added = await api.as(adminB).post(`/v1/trackers/${t.trackId}/rights`).expect(201);
    expect(added.body).toMatchObject({ trackId: t.trackId, role: 'MEMBER' });
    expectProblem(await api.as(adminB).post(`/v1/trackers/${t.trackId}/rights`), 409);
    const after = await api.as(adminB).get('/v1/trackers/available').expect(200);
    expect(after.body.items.map((i: { trackId: string }) => i.trackId)).not.toContain(t.trackId);

    // A MEMBER may not rename; the MASTER may.
    const refused = expectProblem(await api.as(adminB).patch(`/v1/trackers/${t.trackId}`, { name: 'Mine now' }), 403);
    expect(refused.detail).toContain('MASTER');
    await api.as(admin).patch(`/v1/trackers/${t.trackId}`, { name: 'Shared pixel (renamed)' }).expect(200);
    expect((await api.as(adminB).get(`/v1/trackers/${t.trackId}`).expect(200)).body.name).toBe('Shared pixel (renamed)');

    // The MASTER cannot leave while a MEMBER remains; once the member left, it can.
    const stuck = expectProblem(await api.as(admin).delete(`/v1/trackers/${t.trackId}/rights`), 409);
    expect(stuck.detail).toContain('MEMBER');
    await api.as(adminB).delete(`/v1/trackers/${t.trackId}/rights`).expect(204);
    await api.as(admin).delete(`/v1/trackers/${t.trackId}/rights`).expect(204);
    // Nobody is MASTER any more: the next account to add it becomes MASTER.
    const again = await api.as(adminB).post(`/v1/trackers/${t.trackId}/rights`).expect(201);
    expect(again.body.role).toBe('MASTER');
  });

  it("answers 404 for another organisation's trackers", async () => {
    const theirs = await newTracker('Their pixel', otherOrg.adminToken);
    expectProblem(await api.as(admin).post(`/v1/trackers/${theirs.trackId}/rights`), 404);
    expectProblem(await api.as(admin).get(`/v1/trackers/${theirs.trackId}`), 404);
    expectProblem(await api.as(admin).get(`/v1/trackers/${theirs.trackId}/events`), 404);
    const available = await api.as(admin).get('/v1/trackers/available?all=true').expect(200);
    expect(available.body.items.map((i: { trackId: string }) => i.trackId)).not.toContain(theirs.trackId);
    expectProblem(await api.as(admin).post('/v1/targets/pixel', { name: 'Leak', trackId: theirs.trackId, days: 30 }), 422);
  });
});

describe('collection endpoint', () => {
  it('answers CORS preflight and accepts single events, arrays, { events } and image beacons', async () => {
    const t = await newTracker('Collector');
    const preflight = await request(api.url)
      .options(`/v1/collect/${t.trackId}`)
      .set('Origin', 'https://shop.example')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('*');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/content-type/i);

    const at = daysAgo(10);
    setClock(at);
    const single = await collect(t.trackId, { event: 'pageView', adid: ADID(1).toUpperCase() }).expect(202);
    expect(single.body).toEqual({ accepted: 1, duplicates: 0 });
    expect(single.headers['access-control-allow-origin']).toBe('*');
    const tracker = (await api.as(admin).get(`/v1/trackers/${t.trackId}`).expect(200)).body;
    expect(tracker).toMatchObject({ status: 'COLLECTION', lastEventAt: at.toISOString(), eventTypes: ['pageView'] });

    const later = new Date(at.getTime() + 60_000);
    setClock(later);
    await collect(t.trackId, [
      { event: 'search', cookieId: 'ck-1', properties: { keyword: '운동화' } },
      { event: 'purchase', appUserId: 123456789, properties: { value: 39000, currency: 'KRW' } },
    ]).expect(202, { accepted: 2, duplicates: 0 });
    await collect(t.trackId, { events: [{ event: 'addToCart', adid: ADID(2), occurredAt: new Date(later.getTime() - 3_600_000).toISOString() }] }).expect(202, { accepted: 1, duplicates: 0 });
    // sendBeacon posts JSON as text/plain (no preflight).
    await request(api.url).post(`/v1/collect/${t.trackId}`).set('Content-Type', 'text/plain;charset=UTF-8').send(JSON.stringify({ event: 'viewContent', adid: ADID(3) })).expect(202);
    const beacon = await request(api.url).get(`/v1/collect/${t.trackId}?event=completeRegistration&adid=${ADID(4)}&_=${Date.now()}`).expect(200);
    expect(beacon.headers['content-type']).toBe('image/gif');
    expect(beacon.headers['access-control-allow-origin']).toBe('*');

    expect(await eventRows(t.trackId)).toBe(6);
    const stored = await api.db('tracker_events as e').join('trackers as t', 't.id', 'e.tracker_id').where('t.track_id', t.trackId).orderBy('e.seq').select('e.*');
    expect(stored[0]).toMatchObject({ event: 'pageView', adid: ADID(1), nodes: [`adid:${ADID(1)}`] }); // normalised to lower case
    expect(stored[2]).toMatchObject({ app_user_id: '123456789', properties: { value: 39000, currency: 'KRW' } });

    const after = (await api.as(admin).get(`/v1/trackers/${t.trackId}`).expect(200)).body;
    expect(after.lastEventAt).toBe(later.toISOString());
    const events = await api.as(marketer).get(`/v1/trackers/${t.trackId}/events`).expect(200);
    expect(events.body.items).toEqual([
      expect.objectContaining({ event: 'addToCart', count: 1 }),
      expect.objectContaining({ event: 'completeRegistration', count: 1 }),
      expect.objectContaining({ event: 'pageView', count: 1, lastSeenAt: at.toISOString() }),
      expect.objectContaining({ event: 'purchase', count: 1 }),
      expect.objectContaining({ event: 'search', count: 1 }),
      expect.objectContaining({ event: 'viewContent', count: 1 }),
    ]);
  });

  it('refuses the whole request with pointers when any event is invalid, storing nothing', async () => {
    const t = await newTracker('Strict collector');
    const now = realNow();
    const res = await collect(t.trackId, {
      events: [
        { event: 'pageView', adid: ADID(1) },
        { event: 'purchase', adid: 'not-an-ad-id' },
        { event: 'teleport', adid: ADID(2) },
        { event: 'pageView' },
        { event: 'pageView', appUserId: 'abc' },
        { event: 'pageView', adid: ADID(3), occurredAt: new Date(now.getTime() + 3_600_000).toISOString() },
        { event: 'pageView', adid: ADID(3), properties: { blob: 'x'.repeat(5000) } },
      ],
    });
    const body = expectProblem(res, 422);
    const pointers = body.errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(expect.arrayContaining(['/events/1/adid', '/events/2/event', '/events/3', '/events/4/appUserId', '/events/5/occurredAt', '/events/6/properties']));
    expect(pointers).not.toContain('/events/0/adid');
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(await eventRows(t.trackId)).toBe(0);
    expect((await api.as(admin).get(`/v1/trackers/${t.trackId}`).expect(200)).body.status).toBe('PRE_COLLECTION');

    expectProblem(await collect(t.trackId, [ADID(1)]), 422);
    expectProblem(await collect(t.trackId, { events: Array.from({ length: 1001 }, () => ({ event: 'pageView', adid: ADID(1) })) }), 422);
    expectProblem(await request(api.url).get(`/v1/collect/${t.trackId}?event=pageView`), 422);
    expectProblem(await collect('1234567890123456789', { event: 'pageView', adid: ADID(1) }), 404);
    expectProblem(await collect('not-a-number', { event: 'pageView', adid: ADID(1) }), 404);
    expect(await eventRows(t.trackId)).toBe(0);
  });

  it('stores each of 50 concurrent requests exactly once', async () => {
    const t = await newTracker('Busy site');
    const results = await Promise.all(
      Array.from({ length: 50 }, (_v, i) =>
        collect(t.trackId, [
          { event: 'pageView', adid: ADID(1000 + i) },
          { event: 'viewContent', adid: ADID(1000 + i), cookieId: `ck-${i}` },
        ]),
      ),
    );
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(202));
    expect(results.every((r) => r.body.accepted === 2)).toBe(true);
    expect(await eventRows(t.trackId)).toBe(100);
    const { rows } = await api.db.raw(
      `select count(distinct e.cookie_id)::int as cookies from tracker_events e join trackers t on t.id = e.tracker_id where t.track_id = ?`,
      [t.trackId],
    );
    expect(rows[0].cookies).toBe(50);
    const events = await api.as(admin).get(`/v1/trackers/${t.trackId}/events`).expect(200);
    expect(events.body.items).toEqual([expect.objectContaining({ event: 'pageView', count: 50 }), expect.objectContaining({ event: 'viewContent', count: 50 })]);
  });

  it('limits requests per track_id and address with 429 and Retry-After', async () => {
    const t = await newTracker('Flooded');
    api.runtime.services.trackers.configure({ ratePerSecond: 1, burst: 3 });
    try {
      for (let i = 0; i < 3; i++) await collect(t.trackId, { event: 'pageView', adid: ADID(i + 1) }).expect(202);
      const limited = await collect(t.trackId, { event: 'pageView', adid: ADID(9) });
      expectProblem(limited, 429);
      expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(limited.headers['access-control-allow-origin']).toBe('*');
      expect(await eventRows(t.trackId)).toBe(3);
    } finally {
      api.runtime.services.trackers.configure({ ratePerSecond: 50, burst: 500 });
    }
  });

  it('answers 503 and stores nothing when its write fails, without failing requests batched with it', async () => {
    const t = await newTracker('Fragile');
    // A real database failure for one marked event (a trigger), not a mock.
    await api.db.raw(`
      create function refuse_marked_event() returns trigger language plpgsql as $$
      begin
        if new.cookie_id = 'explode' then raise exception 'disk full (test)'; end if;
        return new;
      end $$;
      create trigger refuse_marked_event before insert on tracker_events for each row execute function refuse_marked_event();
    `);
    api.runtime.services.trackers.configure({ flushMs: 50 }); // both requests land in one batch
    try {
      const [bad, good] = await Promise.all([
        collect(t.trackId, [{ event: 'pageView', adid: ADID(1) }, { event: 'pageView', cookieId: 'explode' }]),
        collect(t.trackId, { event: 'purchase', adid: ADID(2) }),
      ]);
      expectProblem(bad, 503);
      expect(bad.headers['retry-after']).toBe('1');
      expect(good.status).toBe(202);
      const rows = await api.db('tracker_events as e').join('trackers as t', 't.id', 'e.tracker_id').where('t.track_id', t.trackId).select('e.event', 'e.adid');
      expect(rows).toEqual([{ event: 'purchase', adid: ADID(2) }]);
    } finally {
      api.runtime.services.trackers.configure({ flushMs: 5 });
      await api.db.raw('drop trigger refuse_marked_event on tracker_events; drop function refuse_marked_event()');
    }
  });
});

describe('populations', () => {
  it('counts people seen in the last 120 days, once per person, and pixel targets by event and period', async () => {
    const t = await newTracker('Population pixel');
    const T0 = daysAgo(200);
    setClock(T0);
    // Person 1 is known with an ADID and an app user id: their two events are one person.
    await loadPeople(api, admin, [{ adid: ADID(501), appUserId: '501' }]);
    await collect(t.trackId, [
      { event: 'pageView', adid: ADID(501) },
      { event: 'purchase', appUserId: '501' },
      { event: 'pageView', adid: ADID(502) },
      { event: 'purchase', cookieId: 'cookie-503', occurredAt: new Date(T0.getTime() - 40 * DAY).toISOString() },
      { event: 'addToCart', adid: ADID(504), occurredAt: new Date(T0.getTime() - 100 * DAY).toISOString() },
    ]).expect(202);
    expect(await trackerPopulation(t.trackId)).toBe(4); // 501, 502, cookie-503, 504

    const purchasers = await api.as(marketer).post('/v1/targets/pixel', { name: 'Purchased in 30 days', trackId: t.trackId, event: 'purchase', days: 30 }).expect(201);
    expect(purchasers.body).toMatchObject({ kind: 'pixel', trackId: t.trackId, trackerName: 'Population pixel', event: 'purchase', days: 30 });
    const anyEvent = await api.as(marketer).post('/v1/targets/pixel', { name: 'Visited in 120 days', trackId: t.trackId, days: 120 }).expect(201);
    expect(anyEvent.body.event).toBeNull();
    const refresh = async (id: string) => (await api.as(marketer).post(`/v1/targets/${id}/refresh`).expect(200)).body.population;
    expect(await refresh(purchasers.body.id)).toMatchObject({ count: 1, state: 'too_small', label: '모수부족', minimum: 100 });
    expect(await refresh(anyEvent.body.id)).toMatchObject({ count: 4 });
    // Widening the period to 60 days brings in the purchase of 40 days ago.
    await api.as(marketer).patch(`/v1/targets/pixel/${purchasers.body.id}`, { days: 60 }).expect(200);
    expect(await refresh(purchasers.body.id)).toMatchObject({ count: 2 });

    // 121 days later only what happened since counts.
    const T1 = new Date(T0.getTime() + 121 * DAY);
    setClock(T1);
    expect(await trackerPopulation(t.trackId)).toBe(0);
    expect(await refresh(anyEvent.body.id)).toMatchObject({ count: 0 });
    await collect(t.trackId, { event: 'pageView', adid: ADID(502) }).expect(202);
    expect(await trackerPopulation(t.trackId)).toBe(1);
    const events = await api.as(admin).get(`/v1/trackers/${t.trackId}/events`).expect(200);
    expect(events.body.items).toEqual([expect.objectContaining({ event: 'pageView', count: 1 })]);

    const shown = (await api.as(admin).get(`/v1/trackers/${t.trackId}`).expect(200)).body;
    expect(shown.usage.map((u: { id: string }) => u.id).sort()).toEqual([purchasers.body.id, anyEvent.body.id].sort());
    // Removing the right is refused while a pixel target uses it.
    const inUse = expectProblem(await api.as(admin).delete(`/v1/trackers/${t.trackId}/rights`), 409);
    expect(inUse.usage.map((u: { name: string }) => u.name).sort()).toEqual(['Purchased in 30 days', 'Visited in 120 days']);
    const list = await api.as(marketer).get('/v1/targets/pixel').expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual(expect.arrayContaining([purchasers.body.id, anyEvent.body.id]));
    await api.as(marketer).delete(`/v1/targets/pixel/${purchasers.body.id}`).expect(204);
    expectProblem(await api.as(marketer).get(`/v1/targets/pixel/${purchasers.body.id}`), 404);
  });

  it('replays the last 120 days into the universe of an account that adds a right later', async () => {
    const t = await newTracker('Late joiner');
    const T0 = daysAgo(30);
    setClock(T0);
    await collect(t.trackId, [
      { event: 'pageView', adid: ADID(701) },
      { event: 'pageView', adid: ADID(702), occurredAt: new Date(T0.getTime() - 10 * DAY).toISOString() },
      { event: 'pageView', adid: ADID(703), occurredAt: new Date(T0.getTime() - 130 * DAY).toISOString() },
    ]).expect(202);
    await api.as(adminB).post(`/v1/trackers/${t.trackId}/rights`).expect(201);
    expect(await trackerPopulation(t.trackId, adminB)).toBe(2);
    // Events older than the window did not join B's universe; recent ones did.
    expectProblem(await api.as(adminB).get(`/v1/universe/people?kind=adid&value=${ADID(703)}`), 404);
    await api.as(adminB).get(`/v1/universe/people?kind=adid&value=${ADID(702)}`).expect(200);
    // New events reach both accounts.
    await collect(t.trackId, { event: 'signUp', adid: ADID(704) }).expect(202);
    expect(await trackerPopulation(t.trackId, adminB)).toBe(3);
    expect(await trackerPopulation(t.trackId)).toBe(3); // A holds every event; only the last 120 days count
    // Rebuilding B's universe from its sources gives the same people.
    await api.as(adminB).post('/v1/universe/relink').expect(200);
    expect(await trackerPopulation(t.trackId, adminB)).toBe(3);
  });
});

describe('rights added during collection', () => {
  /** Waits until a backend of this database waits for a lock in a statement starting like `start`. */
  async function lockWaiter(start: string): Promise<void> {
    await eventually(async () => {
      const { rows } = await api.db.raw(
        `select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like ?`,
        [`${start}%`],
      );
      return rows[0].n > 0;
    }, `a statement "${start}…" to wait for a lock`, 10_000);
  }

  it('feeds a right added while a batch waits for the tracker lock (the batch reads the rights again)', async () => {
    const t = await newTracker('Racing pixel');
    // Hold the right being added half-way (after it locked and touched the tracker): its audit insert waits.
    const blocker = await api.db.transaction();
    try {
      await blocker.raw('lock table audit_log in exclusive mode');
      const adding = api.as(adminB).post(`/v1/trackers/${t.trackId}/rights`).then((r) => r);
      await lockWaiter('insert into "audit_log"');
      // The batch's statement starts now (its snapshot cannot see the right) and waits for the tracker.
      const sending = collect(t.trackId, { event: 'pageView', adid: ADID(801) }).then((r) => r);
      await lockWaiter('with locked as');
      await blocker.commit();
      expect((await adding).status).toBe(201);
      expect((await sending).status).toBe(202);
    } finally {
      if (!blocker.isCompleted()) await blocker.rollback();
    }
    expect(await eventRows(t.trackId)).toBe(1);
    // The replay ran before the batch committed, so only the batch itself can have fed B's universe.
    expect(await trackerPopulation(t.trackId, adminB)).toBe(1);
    await api.as(adminB).get(`/v1/universe/people?kind=adid&value=${ADID(801)}`).expect(200);
    expect(await trackerPopulation(t.trackId)).toBe(1);
  });
});

describe('stopping', () => {
  it('writes accepted events still waiting in the collector before it stops', async () => {
    const t = await newTracker('Last words');
    api.runtime.services.trackers.configure({ flushMs: 60_000 });
    const pending = collect(t.trackId, { event: 'pageView', adid: ADID(901) }).then((r) => r); // .then sends it now
    // The collector holds it (its group-commit writer counts what waits for a batch; nothing public shows it).
    const collector = api.runtime.services.trackers as unknown as { writer: { waiting: number } };
    await eventually(async () => collector.writer.waiting === 1, 'the event to wait in the collector');
    expect(await eventRows(t.trackId)).toBe(0); // still waiting for its batch
    await api.runtime.services.trackers.stop();
    expect((await pending).status).toBe(202);
    expect(await eventRows(t.trackId)).toBe(1);
    const refused = await collect(t.trackId, { event: 'pageView', adid: ADID(902) });
    expectProblem(refused, 503);
  });
});
