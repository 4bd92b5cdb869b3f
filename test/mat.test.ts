/**
 * MAT 연동 through HTTP: link codes (generated code, unique names, limit), postbacks in the generic,
 * AppsFlyer and Adjust shapes mapped to install / open / purchase (others ignored), what a code has
 * received, MAT links only on received vendor + event, and their populations over 120 days.
 */
import request from 'supertest';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { loadPeople } from './helpers/universe';

let api: TestApi;
let admin: string;
let marketer: string;

const ADID = (n: number) => `0000000${n % 10}-0000-4000-8000-${String(n).padStart(12, '0')}`;
const DAY = 24 * 60 * 60 * 1000;
const daysAgo = (days: number) => new Date(Math.floor((Date.now() - days * DAY) / 1000) * 1000);

function setClock(at: Date | null) {
  api.runtime.services.clock.now = at ? () => at : () => new Date();
}

const post = (vendor: string, code: string, body: unknown) => request(api.url).post(`/v1/mat/postbacks/${vendor}/${code}`).send(body as object);
const get = (vendor: string, code: string, query: string) => request(api.url).get(`/v1/mat/postbacks/${vendor}/${code}?${query}`);

async function postbackRows(linkCodeId: string) {
  return api.db('mat_postbacks').where({ link_code_id: linkCodeId }).orderBy('seq').select('vendor', 'event', 'vendor_event', 'adid', 'occurred_at');
}

beforeAll(async () => {
  api = await startTestApi();
  admin = await api.keyFor('admin');
  marketer = await api.keyFor('marketer');
}, 60_000);
afterAll(async () => api.close());
afterEach(() => setClock(null));

describe('link codes', () => {
  it('generates a unique copyable code, keeps names unique and allows 30 per ad account', async () => {
    const a = await api.as(marketer).post('/v1/mat/link-codes', { name: 'Android app' }).expect(201);
    expect(a.body).toMatchObject({ name: 'Android app', code: expect.stringMatching(/^[A-Za-z0-9_-]{20}$/), postbackPath: `/v1/mat/postbacks/{vendor}/${a.body.code}` });
    expect(a.body.createdAt).toEqual(expect.any(String));
    const b = await api.as(marketer).post('/v1/mat/link-codes', { name: 'iOS app' }).expect(201);
    expect(b.body.code).not.toBe(a.body.code);
    expectProblem(await api.as(marketer).post('/v1/mat/link-codes', { name: 'android APP' }), 409);
    await api.as(marketer).patch(`/v1/mat/link-codes/${b.body.id}`, { name: 'iOS app (store)' }).expect(200);
    expect((await api.as(marketer).get(`/v1/mat/link-codes/${b.body.id}`).expect(200)).body.name).toBe('iOS app (store)');
    const list = await api.as(marketer).get('/v1/mat/link-codes').expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([b.body.id, a.body.id]);

    const other = await api.otherAccount();
    for (let i = 0; i < 30; i++) await api.as(other.adminToken).post('/v1/mat/link-codes', { name: `Code ${i}` }).expect(201);
    const limit = expectProblem(await api.as(other.adminToken).post('/v1/mat/link-codes', { name: 'Code 30' }), 409);
    expect(limit.detail).toContain('30');
    expectProblem(await api.as(other.adminToken).get(`/v1/mat/link-codes/${a.body.id}`), 404);
    await api.as(marketer).delete(`/v1/mat/link-codes/${a.body.id}`).expect(204);
  });
});

describe('postbacks', () => {
  it('maps generic, AppsFlyer and Adjust postbacks to install / open / purchase and lists what was received', async () => {
    const code = (await api.as(marketer).post('/v1/mat/link-codes', { name: 'Shop app' }).expect(201)).body;
    const t1 = daysAgo(3);
    setClock(t1);
    // Generic, one and an array (any vendor).
    expect((await post('kochava', code.code, { event: 'install', adid: ADID(1).toUpperCase() }).expect(202)).body).toMatchObject({ accepted: 1, ignored: 0 });
    await post('tune', code.code, [
      { event: 'open', adid: ADID(2) },
      { event: 'purchase', adid: ADID(3), occurredAt: daysAgo(4).toISOString() },
    ]).expect(202, { accepted: 2, duplicates: 0, ignored: 0, ignoredPostbacks: [] });

    // AppsFlyer Push API messages.
    const t2 = daysAgo(2);
    setClock(t2);
    const af = await post('appsflyer', code.code, [
      { event_type: 'install', event_name: 'install', advertising_id: ADID(4), event_time: '2026-11-20 08:15:30.123', app_id: 'com.shop' },
      { event_type: 'in-app-event', event_name: 'af_purchase', idfa: ADID(5).toUpperCase(), event_time: '2026-11-20 09:00:00.000', event_revenue: '39000' },
      { event_type: 'in-app-event', event_name: 'af_add_to_cart', advertising_id: ADID(6) },
      { event_type: 're-engagement', advertising_id: ADID(7) },
      { event_type: 'install', advertising_id: '00000000-0000-0000-0000-000000000000' },
    ]).expect(202);
    expect(af.body).toMatchObject({ accepted: 3, ignored: 2 });
    expect(af.body.ignoredPostbacks.map((i: { pointer: string }) => i.pointer)).toEqual(['/2', '/4']);

    // Adjust callbacks (GET with placeholders filled in).
    const t3 = daysAgo(1);
    setClock(t3);
    const created = Math.floor(daysAgo(1).getTime() / 1000) - 60;
    await get('adjust', code.code, `activity_kind=session&gps_adid=${ADID(8)}&created_at=${created}&adid=8d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a`).expect(202, { accepted: 1, duplicates: 0, ignored: 0, ignoredPostbacks: [] });
    await get('adjust', code.code, `activity_kind=event&event_name=Purchase&idfa=${ADID(9)}&created_at=${created}`).expect(202);
    const click = await get('adjust', code.code, `activity_kind=click&gps_adid=${ADID(10)}`).expect(202);
    expect(click.body).toMatchObject({ accepted: 0, ignored: 1 });

    const rows = await postbackRows(code.id);
    expect(rows.map((r: { vendor: string; event: string; vendor_event: string; adid: string }) => [r.vendor, r.event, r.vendor_event, r.adid])).toEqual([
      ['kochava', 'install', 'install', ADID(1)],
      ['tune', 'open', 'open', ADID(2)],
      ['tune', 'purchase', 'purchase', ADID(3)],
      ['appsflyer', 'install', 'install', ADID(4)],
      ['appsflyer', 'purchase', 'af_purchase', ADID(5)],
      ['appsflyer', 'open', 're-engagement', ADID(7)],
      ['adjust', 'open', 'session', ADID(8)],
      ['adjust', 'purchase', 'Purchase', ADID(9)],
    ]);
    expect(rows[3].occurred_at.toISOString()).toBe('2026-11-20T08:15:30.123Z');
    expect(rows[6].occurred_at.getTime()).toBe(created * 1000);

    const received = await api.as(marketer).get(`/v1/mat/link-codes/${code.id}/received`).expect(200);
    const byKey = Object.fromEntries(received.body.items.map((r: { vendor: string; event: string }) => [`${r.vendor} ${r.event}`, r]));
    expect(Object.keys(byKey).sort()).toEqual(['adjust open', 'adjust purchase', 'appsflyer install', 'appsflyer open', 'appsflyer purchase', 'kochava install', 'tune open', 'tune purchase']);
    expect(byKey['kochava install']).toMatchObject({ count: 1, firstCollectedAt: t1.toISOString(), lastCollectedAt: t1.toISOString(), vendorName: 'Kochava' });
    expect(byKey['adjust open']).toMatchObject({ firstCollectedAt: t3.toISOString() });

    // Unknown code or vendor: 404; a bad ad id refuses the whole request.
    expectProblem(await post('kochava', 'NoSuchCode0000000000', { event: 'install', adid: ADID(1) }), 404);
    expectProblem(await post('branch', code.code, { event: 'install', adid: ADID(1) }), 404);
    const bad = expectProblem(await post('tune', code.code, [{ event: 'install', adid: ADID(11) }, { event: 'install', adid: 'oops' }]), 422);
    expect(bad.errors.map((e: { pointer: string }) => e.pointer)).toEqual(['/1/adid']);
    expectProblem(await post('appsflyer', code.code, { event_type: 'install', advertising_id: 'not-a-gaid' }), 422);
    expectProblem(await get('adjust', code.code, 'activity_kind=install&gps_adid=xyz'), 422);
    expectProblem(await post('igaworks', code.code, { event: 'signup', adid: ADID(1) }), 422);
    expect(await postbackRows(code.id)).toHaveLength(8);
  });
});

describe('MAT links', () => {
  it('only offers received vendor + event, registers at first collection and counts the last 120 days', async () => {
    const code = (await api.as(marketer).post('/v1/mat/link-codes', { name: 'Game app' }).expect(201)).body;
    const never = expectProblem(await api.as(marketer).post('/v1/targets/mat', { name: 'Installers', linkCodeId: code.id, vendor: 'appsflyer', event: 'install' }), 422);
    expect(never.detail).toContain('확인이 불가할 시 이벤트 수집이 정상적으로 이뤄지지 않았음');
    expect(never.received).toEqual([]);

    const T0 = daysAgo(200);
    setClock(T0);
    // Two devices of one person (known from first-party data) count once.
    await loadPeople(api, admin, [{ adid: ADID(21), appUserId: '2100' }, { adid: ADID(22), appUserId: '2100' }]);
    await post('appsflyer', code.code, [
      { event_type: 'in-app-event', event_name: 'af_purchase', advertising_id: ADID(21) },
      { event_type: 'in-app-event', event_name: 'af_purchase', advertising_id: ADID(22) },
      { event_type: 'in-app-event', event_name: 'af_purchase', advertising_id: ADID(23) },
      { event_type: 'install', advertising_id: ADID(24) },
    ]).expect(202);

    const wrong = expectProblem(await api.as(marketer).post('/v1/targets/mat', { name: 'Adjust buyers', linkCodeId: code.id, vendor: 'adjust', event: 'purchase' }), 422);
    expect(wrong.detail).toContain('appsflyer purchase');
    const buyers = await api.as(marketer).post('/v1/targets/mat', { name: 'Buyers', linkCodeId: code.id, vendor: 'appsflyer', event: 'purchase' }).expect(201);
    expect(buyers.body).toMatchObject({ kind: 'mat', name: 'Buyers', linkCodeName: 'Game app', vendor: 'appsflyer', vendorName: 'AppsFlyer', event: 'purchase', collectionType: 'RETARGETING', registeredAt: T0.toISOString() });
    const refresh = async () => (await api.as(marketer).post(`/v1/targets/${buyers.body.id}/refresh`).expect(200)).body.population;
    expect(await refresh()).toMatchObject({ count: 2, state: 'too_small', minimum: 100 });

    // 121 days later the old purchases no longer count; a new one does.
    setClock(new Date(T0.getTime() + 121 * DAY));
    expect(await refresh()).toMatchObject({ count: 0 });
    await get('appsflyer', code.code, `event_type=in-app-event&event_name=af_purchase&advertising_id=${ADID(23)}`).expect(202);
    expect(await refresh()).toMatchObject({ count: 1 });

    const list = await api.as(marketer).get('/v1/targets/mat').expect(200);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(buyers.body.id);
    await api.as(marketer).patch(`/v1/targets/mat/${buyers.body.id}`, { name: 'Recent buyers' }).expect(200);
    expect((await api.as(marketer).get(`/v1/targets/mat/${buyers.body.id}`).expect(200)).body.name).toBe('Recent buyers');

    // The link code cannot go while a MAT link uses it.
    const inUse = expectProblem(await api.as(marketer).delete(`/v1/mat/link-codes/${code.id}`), 409);
    expect(inUse.usage).toEqual([expect.objectContaining({ id: buyers.body.id, name: 'Recent buyers' })]);
    await api.as(marketer).delete(`/v1/targets/mat/${buyers.body.id}`).expect(204);
    await api.as(marketer).delete(`/v1/mat/link-codes/${code.id}`).expect(204);
    expect(await postbackRows(code.id)).toHaveLength(0);
  });
});
