/**
 * MAT postbacks without duplicates (issue 18): vendors send a postback again when they did not get
 * a 2xx in time. A resend within 48 hours — the same `eventId`, or without one the same vendor
 * event, ad id and event time — answers 202 and stores nothing new (no postback row, no count in the
 * received rollup); per link code and vendor; older than 48 hours counts as new; the hourly job
 * forgets old keys. Through HTTP against the real database.
 */
import request from 'supertest';
import { MAT_POSTBACK_KEYS_JOB } from '../src/mat/service';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';

let api: TestApi;
let marketer: string;
let names = 0;

const ADID = (n: number) => `0000000${n % 10}-0000-4000-8000-${String(n).padStart(12, '0')}`;

const post = (vendor: string, code: string, body: unknown) => request(api.url).post(`/v1/mat/postbacks/${vendor}/${code}`).send(body as object);
const get = (vendor: string, code: string, query: string) => request(api.url).get(`/v1/mat/postbacks/${vendor}/${code}?${query}`);

async function newCode(): Promise<{ id: string; code: string }> {
  return (await api.as(marketer).post('/v1/mat/link-codes', { name: `Dedup app ${++names}` }).expect(201)).body;
}

async function postbacks(linkCodeId: string): Promise<{ vendor: string; event: string; adid: string }[]> {
  return api.db('mat_postbacks').where({ link_code_id: linkCodeId }).orderBy('seq').select('vendor', 'event', 'adid');
}

async function receivedCounts(linkCodeId: string): Promise<Record<string, number>> {
  const res = await api.as(marketer).get(`/v1/mat/link-codes/${linkCodeId}/received`).expect(200);
  return Object.fromEntries(res.body.items.map((i: { vendor: string; event: string; count: number }) => [`${i.vendor} ${i.event}`, i.count]));
}

async function ageKeys(linkCodeId: string, hours: number): Promise<void> {
  await api.db.raw('update mat_postback_ids set received_at = received_at - make_interval(hours => ?) where link_code_id = ?', [hours, linkCodeId]);
}

beforeAll(async () => {
  api = await startTestApi();
  marketer = await api.keyFor('marketer');
}, 60_000);
afterAll(async () => api.close());

describe('resent postbacks', () => {
  it('stores a resent generic postback with an eventId once and answers the resend with 202', async () => {
    const c = await newCode();
    const body = [
      { eventId: 'inst-1', event: 'install', adid: ADID(1) },
      { eventId: 'buy-1', event: 'purchase', adid: ADID(1) },
    ];
    await post('kochava', c.code, body).expect(202, { accepted: 2, duplicates: 0, ignored: 0, ignoredPostbacks: [] });
    await post('kochava', c.code, body).expect(202, { accepted: 2, duplicates: 2, ignored: 0, ignoredPostbacks: [] });
    // Repeated within one request: the first is stored.
    await post('kochava', c.code, [{ eventId: 'open-1', event: 'open', adid: ADID(2) }, { eventId: 'open-1', event: 'open', adid: ADID(2) }]).expect(202, {
      accepted: 2,
      duplicates: 1,
      ignored: 0,
      ignoredPostbacks: [],
    });
    expect(await postbacks(c.id)).toEqual([
      { vendor: 'kochava', event: 'install', adid: ADID(1) },
      { vendor: 'kochava', event: 'purchase', adid: ADID(1) },
      { vendor: 'kochava', event: 'open', adid: ADID(2) },
    ]);
    expect(await receivedCounts(c.id)).toEqual({ 'kochava install': 1, 'kochava purchase': 1, 'kochava open': 1 });
    // Another vendor's, or another code's, same id is its own postback.
    await post('tune', c.code, { eventId: 'inst-1', event: 'install', adid: ADID(1) }).expect(202).expect((r) => expect(r.body.duplicates).toBe(0));
    const other = await newCode();
    await post('kochava', other.code, { eventId: 'inst-1', event: 'install', adid: ADID(1) }).expect(202).expect((r) => expect(r.body.duplicates).toBe(0));
    expect(await postbacks(c.id)).toHaveLength(4);
    expect(await postbacks(other.id)).toHaveLength(1);
  });

  it('recognises AppsFlyer and Adjust resends by event, ad id and event time', async () => {
    const c = await newCode();
    const af = { event_type: 'in-app-event', event_name: 'af_purchase', advertising_id: ADID(11), event_time: '2024-01-25 14:13:16.151' };
    await post('appsflyer', c.code, af).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 1, duplicates: 0 }));
    await post('appsflyer', c.code, af).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 1, duplicates: 1 }));
    // The same device's purchase a millisecond later is another one.
    await post('appsflyer', c.code, { ...af, event_time: '2024-01-25 14:13:16.152' }).expect(202).expect((r) => expect(r.body.duplicates).toBe(0));

    const created = Math.floor(Date.now() / 1000) - 60;
    const adjust = `activity_kind=install&gps_adid=${ADID(12)}&created_at=${created}`;
    await get('adjust', c.code, adjust).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 1, duplicates: 0 }));
    await get('adjust', c.code, adjust).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 1, duplicates: 1 }));
    await get('adjust', c.code, `activity_kind=install&gps_adid=${ADID(12)}&created_at=${created + 1}`).expect(202).expect((r) => expect(r.body.duplicates).toBe(0));
    expect(await receivedCounts(c.id)).toEqual({ 'appsflyer purchase': 2, 'adjust install': 2 });
    expect(await postbacks(c.id)).toHaveLength(4);
  });

  it('stores every postback without an eventId or an event time of its own (nothing tells a resend)', async () => {
    const c = await newCode();
    await post('igaworks', c.code, { event: 'open', adid: ADID(21) }).expect(202);
    await post('igaworks', c.code, { event: 'open', adid: ADID(21) }).expect(202).expect((r) => expect(r.body.duplicates).toBe(0));
    expect(await postbacks(c.id)).toHaveLength(2);
  });

  it('stores a postback resent more than 48 hours later again', async () => {
    const c = await newCode();
    const body = { eventId: 'slow-vendor', event: 'install', adid: ADID(31) };
    await post('wisetracker', c.code, body).expect(202);
    await ageKeys(c.id, 47);
    await post('wisetracker', c.code, body).expect(202).expect((r) => expect(r.body.duplicates).toBe(1));
    await ageKeys(c.id, 2);
    await post('wisetracker', c.code, body).expect(202).expect((r) => expect(r.body.duplicates).toBe(0));
    expect(await postbacks(c.id)).toHaveLength(2);
  });

  it('refuses an eventId longer than 128 characters in every format, naming it', async () => {
    const c = await newCode();
    const generic = expectProblem(await post('tune', c.code, [{ eventId: 'x'.repeat(129), event: 'open', adid: ADID(41) }]), 422);
    expect(generic.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/0/eventId']);
    const adjust = expectProblem(await get('adjust', c.code, `activity_kind=session&gps_adid=${ADID(41)}&eventId=${'x'.repeat(129)}`), 422);
    expect(adjust.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/query/eventId']);
    expect(await postbacks(c.id)).toHaveLength(0);
  });
});

describe('forgetting old keys', () => {
  it('the hourly job deletes postback keys received more than 48 hours ago and keeps the others', async () => {
    const [old, recent] = [await newCode(), await newCode()];
    await post('tune', old.code, { eventId: 'o-1', event: 'install', adid: ADID(51) }).expect(202);
    await post('tune', recent.code, { eventId: 'r-1', event: 'install', adid: ADID(52) }).expect(202);
    await ageKeys(old.id, 49);
    await ageKeys(recent.id, 47);
    const keys = (linkCodeId: string) => api.db('mat_postback_ids').where({ link_code_id: linkCodeId }).pluck('postback_key');
    await api.runtime.services.jobs.enqueue(MAT_POSTBACK_KEYS_JOB, {});
    await eventually(async () => (await keys(old.id)).length === 0, 'the keys older than 48 hours to be deleted');
    expect(await keys(recent.id)).toEqual(['id:r-1']);
    const schedule = await api.db('schedules').where({ name: MAT_POSTBACK_KEYS_JOB }).first();
    expect(schedule.recurrence).toMatchObject({ frequency: 'hour', interval: 1 });
  });
});
