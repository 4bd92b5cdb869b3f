/**
 * Bad input on the public collection endpoint is refused with 4xx before the write, and one bad
 * request never fails the group commit it shares with good ones: a poison event (a NUL deep in
 * `properties`) once answered 503 with Retry-After forever and slowed every other client's batches.
 */
import request from 'supertest';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';

let api: TestApi;
let marketer: string;
beforeAll(async () => {
  api = await startTestApi({ mode: 'api' });
  marketer = await api.keyFor('marketer');
});
afterAll(async () => api.close());

const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const collect = (trackId: string, body: unknown) => request(api.url).post(`/v1/collect/${trackId}`).send(body as object);
/** `levels` objects inside one another around `leaf`. */
const nested = (levels: number, leaf: unknown): unknown => {
  let v = leaf;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
};

async function newTracker(name: string): Promise<string> {
  return (await api.as(marketer).post('/v1/trackers', { name }).expect(201)).body.trackId;
}

async function stored(trackId: string): Promise<{ event: string; adid: string | null; cookie_id: string | null }[]> {
  return api.db('tracker_events as e').join('trackers as t', 't.id', 'e.tracker_id').where('t.track_id', trackId).orderBy('e.seq').select('e.event', 'e.adid', 'e.cookie_id');
}

/** Runs fn with a long group-commit window, so requests sent together share one batch. */
async function inOneBatch<T>(fn: () => Promise<T>): Promise<T> {
  api.runtime.services.trackers.configure({ flushMs: 300 });
  try {
    return await fn();
  } finally {
    api.runtime.services.trackers.configure({ flushMs: 5 });
  }
}

describe('poison events', () => {
  it('refuses the 507-byte event with a NUL 71 levels deep in properties with 422, and stores the good event batched with it', async () => {
    const trackId = await newTracker('Poisoned');
    const poison = { event: 'pageView', cookieId: `poison-${'x'.repeat(18)}`, properties: nested(71, '\u0000') };
    expect(Buffer.byteLength(JSON.stringify(poison))).toBe(507);
    const [bad, good] = await inOneBatch(() => Promise.all([collect(trackId, poison), collect(trackId, { event: 'purchase', adid: ADID(1) })]));
    const problem = expectProblem(bad, 422);
    expect(bad.headers['retry-after']).toBeUndefined(); // a client must not send it again
    expect(problem.errors[0]).toMatchObject({ rule: 'max_depth', pointer: expect.stringMatching(/^\/properties(\/a)+$/) });
    expect(good.status).toBe(202);
    expect(await stored(trackId)).toEqual([{ event: 'purchase', adid: ADID(1), cookie_id: null }]);
    // Sent again, the same answer: it never reaches the writer.
    expectProblem(await collect(trackId, poison), 422);
    expect(await stored(trackId)).toHaveLength(1);
  });

  it('refuses a deeply nested body with 422 without walking it to the bottom', async () => {
    const trackId = await newTracker('Tower');
    const levels = 500_000; // ~1 MB of brackets: JSON.parse takes it, recursive code overflows the stack
    const body = `{"event":"pageView","cookieId":"c1","properties":{"a":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
    const res = await request(api.url).post(`/v1/collect/${trackId}`).set('Content-Type', 'application/json').send(body);
    expect(expectProblem(res, 422).errors[0]).toMatchObject({ rule: 'max_depth', pointer: expect.stringMatching(/^\/properties\/a(\/0)+$/) });
    expect(await stored(trackId)).toHaveLength(0);
  });
});

describe('properties limits', () => {
  it('takes properties 8 levels deep and refuses 9 with 422 naming the event, storing nothing of the request', async () => {
    const trackId = await newTracker('Deep details');
    await collect(trackId, { event: 'purchase', adid: ADID(2), properties: nested(7, { value: 1 }) }).expect(202);
    const res = await collect(trackId, {
      events: [
        { event: 'pageView', adid: ADID(3) },
        { event: 'purchase', adid: ADID(4), properties: { items: [{ options: { color: 'red' } }] } },
        { event: 'purchase', adid: ADID(5), properties: nested(8, { value: 1 }) },
      ],
    });
    const problem = expectProblem(res, 422);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '/events/2/properties', rule: 'max_depth' })]);
    expect(problem.errors[0].message).toContain('8 levels');
    expect((await stored(trackId)).map((r) => r.adid)).toEqual([ADID(2)]);
  });

  it('refuses properties over 2 KB as JSON with 422 naming the event', async () => {
    const trackId = await newTracker('Big details');
    const res = await collect(trackId, [
      { event: 'search', cookieId: 'c1', properties: { keyword: 'k'.repeat(1000) } },
      { event: 'search', cookieId: 'c2', properties: { keyword: '가'.repeat(700) } }, // 2,100 bytes of UTF-8
    ]);
    expect(expectProblem(res, 422).errors).toEqual([expect.objectContaining({ pointer: '/1/properties', rule: 'max_size' })]);
    expect(await stored(trackId)).toHaveLength(0);
  });
});

describe('group commit', () => {
  it('refuses only the request whose data the database rejects (422), stores the others batched with it, and answers 503 when the database fails', async () => {
    const trackId = await newTracker('Shared batch');
    // A real PostgreSQL data exception (22012) for one marked event, standing in for whatever bad
    // value validation might miss: the batch fails as a whole and must not take the others with it.
    await api.db.raw(`
      create function divide_marked_event() returns trigger language plpgsql as $$
      begin
        if new.cookie_id = 'divide-by-zero' then perform 1 / 0; end if;
        return new;
      end $$;
      create trigger divide_marked_event before insert on tracker_events for each row execute function divide_marked_event();
    `);
    try {
      const [first, bad, last] = await inOneBatch(() =>
        Promise.all([
          collect(trackId, { event: 'pageView', adid: ADID(10) }),
          collect(trackId, [{ event: 'pageView', adid: ADID(11) }, { event: 'pageView', cookieId: 'divide-by-zero' }]),
          collect(trackId, { event: 'purchase', adid: ADID(12) }),
        ]),
      );
      expect([first.status, last.status]).toEqual([202, 202]);
      const problem = expectProblem(bad, 422);
      expect(bad.headers['retry-after']).toBeUndefined();
      expect(problem.errors[0]).toMatchObject({ pointer: '', rule: 'data_exception' });
      expect(problem.detail).toContain('22012');
      expect(problem.detail).not.toContain('insert into'); // the statement and its values stay in the log
      expect((await stored(trackId)).map((r) => r.adid).sort()).toEqual([ADID(10), ADID(12)]);
    } finally {
      await api.db.raw('drop trigger divide_marked_event on tracker_events; drop function divide_marked_event()');
    }

    // The database failing for everyone is not the client's fault: 503 with Retry-After, nothing stored.
    await api.db.raw(`alter table tracker_events rename to tracker_events_away`);
    try {
      const down = await inOneBatch(() => Promise.all([collect(trackId, { event: 'pageView', adid: ADID(20) }), collect(trackId, { event: 'pageView', adid: ADID(21) })]));
      for (const res of down) {
        expectProblem(res, 503);
        expect(res.headers['retry-after']).toBe('1');
      }
    } finally {
      await api.db.raw(`alter table tracker_events_away rename to tracker_events`);
    }
    await collect(trackId, { event: 'pageView', adid: ADID(20) }).expect(202);
    expect(await stored(trackId)).toHaveLength(3);
  });
});
