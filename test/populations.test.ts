/**
 * The population store: a change marked while a count runs is counted again at once (not a
 * cadence later), a count that lost its lease writes nothing, and first-count failures show
 * failed (생성실패) with the reason while refresh failures keep the last number (조회실패).
 */
import { startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';

let api: TestApi;
const DAY = 24 * 3600_000;
const T0 = new Date('2026-11-23T00:00:00Z');

beforeAll(async () => {
  api = await startTestApi({ mode: 'api' });
  api.runtime.services.clock.now = () => T0;
});
afterAll(async () => api.close());

async function track(subjectId: string, type: string): Promise<void> {
  const { populations, db } = api.runtime.services;
  await db.transaction((tx) => populations.track(tx, { adAccountId: api.adAccountId, subjectType: type, subjectId, cadenceMs: DAY, minimum: 2 }));
}

const row = (id: string) => api.db('populations').where({ subject_id: id }).first();

describe('populations', () => {
  it('counts again at once when the subject changed during a count', async () => {
    const { populations } = api.runtime.services;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    populations.register({
      type: 'test_slow',
      people: async () => {
        calls++;
        if (calls === 1) await gate;
        return { sql: 'select g::bigint as person_id from generate_series(1, 3) g', bindings: [] };
      },
    });
    await track('pop_slow', 'test_slow');
    const counting = populations.refresh('pop_slow');
    // Its people() is asked only once it holds the lease: from then on it waits at the gate.
    await eventually(async () => calls === 1, 'the first count to hold the lease');
    expect(await populations.refresh('pop_slow')).toBe(false); // leased: nobody counts it twice
    await populations.markDue(api.db, ['pop_slow']); // e.g. new friends arrived meanwhile
    release();
    expect(await counting).toBe(true);
    const after = await row('pop_slow');
    expect(after).toMatchObject({ state: 'ready', count: '3', lease_token: null });
    expect(after.next_refresh_at.getTime()).toBe(T0.getTime()); // due again now, not tomorrow
    expect(await populations.refreshDue()).toBe(1);
    expect((await row('pop_slow')).next_refresh_at.getTime()).toBe(T0.getTime() + DAY);
  });

  it('fails a first count after three attempts and keeps the last number when a refresh fails', async () => {
    const { populations } = api.runtime.services;
    let broken = true;
    populations.register({
      type: 'test_flaky',
      people: async () => {
        if (broken) throw new Error('source unavailable');
        return { sql: 'select 1::bigint as person_id', bindings: [] };
      },
    });
    await track('pop_flaky', 'test_flaky');
    await populations.refresh('pop_flaky');
    expect(await row('pop_flaky')).toMatchObject({ state: 'failed', attempts: 1, error: 'Counting failed: source unavailable; retrying at 2026-11-23T00:01:00.000Z (attempt 2 of 3)' });
    await populations.refresh('pop_flaky');
    await populations.refresh('pop_flaky');
    const failed = await row('pop_flaky');
    expect(failed).toMatchObject({ state: 'failed', attempts: 3 });
    expect(failed.error).toMatch(/no more automatic retries after 3 attempts; counted again at 2026-11-24T00:00:00.000Z or when you refresh it$/);

    await track('pop_later', 'test_flaky');
    broken = false;
    await populations.refresh('pop_later');
    expect(await row('pop_later')).toMatchObject({ state: 'too_small', count: '1' });
    broken = true;
    await populations.refresh('pop_later');
    expect(await row('pop_later')).toMatchObject({ state: 'query_failed', count: '1' });
    const view = await populations.view(api.db, 'pop_later');
    expect(view).toMatchObject({ state: 'query_failed', label: '조회실패', count: 1, usable: true });
  });
});
