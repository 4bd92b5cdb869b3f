/**
 * First-party identifiers as Korean advertisers and MAT vendors send them (issue 20, defects 2 and
 * 3): every 010 + 8 digits number is a Korean mobile in the Phone namespace, in channel friends and
 * in dataset rows (the phone library's metadata leaves 010-5970 … 010-5999 out), and an all-zero ad
 * id (ad tracking limited) is ignored and counted in every postback format instead of refusing the
 * request.
 */
import request from 'supertest';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { universeDataset } from './helpers/universe';

let api: TestApi;
let marketer: string;
let engineer: string;

beforeAll(async () => {
  api = await startTestApi();
  marketer = await api.keyFor('marketer');
  engineer = await api.keyFor('data_engineer');
}, 60_000);
afterAll(async () => api.close());

/** Seeded, so a failing sample can be reproduced. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One random number in every 3-digit block after 010 (010-000x … 010-999x: the first two digits
 * 00 … 99 and each third digit), 1,000 in all, written the ways advertisers write them.
 */
function sample010(seed: number): { input: string; e164: string }[] {
  const rnd = prng(seed);
  const digits = (n: number) => Array.from({ length: n }, () => Math.floor(rnd() * 10)).join('');
  const out: { input: string; e164: string }[] = [];
  for (let block = 0; block < 1000; block++) {
    const mid = String(block).padStart(3, '0') + digits(1);
    const last = digits(4);
    const forms = [`010-${mid}-${last}`, `010${mid}${last}`, `10${mid}${last}`, `+82 10-${mid}-${last}`, `82 10 ${mid} ${last}`];
    out.push({ input: forms[block % forms.length], e164: `+8210${mid}${last}` });
  }
  return out;
}

describe('010 mobile numbers', () => {
  it('normalises 010-5993-7379 and a number in every 010 block to +8210… in the Phone namespace', async () => {
    const one = await api.as(marketer).post('/v1/namespaces/Phone/normalize', { values: ['010-5993-7379', '+82 10-5993-7379', '01059937379'] }).expect(200);
    expect(one.body.items.map((i: { value?: string }) => i.value)).toEqual(['+821059937379', '+821059937379', '+821059937379']);

    const sample = sample010(20);
    const res = await api.as(marketer).post('/v1/namespaces/Phone/normalize', { values: sample.map((s) => s.input) }).expect(200);
    const wrong = res.body.items
      .map((item: { input: string; value?: string; error?: unknown }, i: number) => ({ ...item, expected: sample[i].e164 }))
      .filter((item: { value?: string; expected: string }) => item.value !== item.expected);
    expect(wrong).toEqual([]);
    expect(res.body.counts).toMatchObject({ received: 1000, valid: 1000, invalid: 0 });

    // Still E.164's length: one digit short or long after 010 is not a number.
    const bad = await api.as(marketer).post('/v1/namespaces/Phone_E.164/normalize', { values: ['010-5993-737', '010-5993-73790'] }).expect(200);
    expect(bad.body.items.map((i: { error?: { rule: string } }) => i.error?.rule)).toEqual(['phone', 'phone']);
  });

  it('takes them as talk channel friends, as the same friend in every format', async () => {
    const channel = (await api.as(marketer).post('/v1/talk-channels', { name: '010 shop', searchId: '@010shop' }).expect(201)).body.id;
    const sample = sample010(21);
    const added = await api.as(marketer).post(`/v1/talk-channels/${channel}/friends`, { friends: [{ phoneNumber: '010-5993-7379' }, ...sample.map((s) => ({ phoneNumber: s.input }))] });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ received: 1001, added: 1001, alreadyFriends: 0, friendCount: 1001 });
    // The E.164 forms are the same friends: every number was normalised to +8210….
    const again = await api.as(marketer).post(`/v1/talk-channels/${channel}/friends`, { friends: [{ phoneNumber: '+821059937379' }, ...sample.map((s) => ({ phoneNumber: s.e164 }))] }).expect(200);
    expect(again.body).toMatchObject({ added: 0, alreadyFriends: 1001, friendCount: 1001 });
    await api.as(engineer).post('/v1/universe/link', {}).expect(200);
    await api.as(engineer).get('/v1/universe/people').query({ kind: 'phone', value: '+821059937379' }).expect(200);

    // Landlines stay refused, naming the field, and nothing changes.
    const refused = expectProblem(await api.as(marketer).post(`/v1/talk-channels/${channel}/friends`, { friends: [{ phoneNumber: '010-5980-1234' }, { phoneNumber: '02-123-4567' }] }), 422);
    expect(refused.errors).toEqual([{ pointer: '/friends/1/phoneNumber', rule: 'not_mobile', message: expect.any(String) }]);
    expect((await api.as(marketer).get(`/v1/talk-channels/${channel}`).expect(200)).body.friendCount).toBe(1001);
  });

  it('loads them from dataset rows without a failed row, as +8210… identities', async () => {
    const datasetId = await universeDataset(api, engineer);
    const sample = sample010(22);
    const rows = [{ input: '010-5993-7379', e164: '+821059937379' }, ...sample];
    const header = 'universeTest.rowKey,mobilePhone.number';
    const csv = [header, ...rows.map((r, i) => `row-${i},"${r.input}"`)].join('\n') + '\n';
    const res = await api.as(engineer).post(`/v1/datasets/${datasetId}/data?format=csv&errorThreshold=0`).set('Content-Type', 'text/csv').send(csv);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('success');
    await api.as(engineer).post('/v1/universe/link', {}).expect(200);
    // The 010-597x … 010-599x blocks the metadata lacks, and the reported number.
    const lacking = rows.filter((r) => /^\+82105(97|98|99)/.test(r.e164) || r.e164 === '+821059937379');
    expect(lacking.length).toBe(4);
    for (const r of lacking) await api.as(engineer).get('/v1/universe/people').query({ kind: 'phone', value: r.e164 }).expect(200);
  });
});

describe('all-zero ad ids in MAT postbacks', () => {
  const ZERO = '00000000-0000-0000-0000-000000000000';
  const ADID = (n: number) => `5c0e6b1a-0000-4000-8000-${String(n).padStart(12, '0')}`;
  const rowsOf = (linkCodeId: string) => api.db('mat_postbacks').where({ link_code_id: linkCodeId }).orderBy('seq').select('vendor', 'event', 'adid');

  it('stores the good events of a mixed generic array and counts the ignored one, in every format', async () => {
    const code = (await api.as(marketer).post('/v1/mat/link-codes', { name: 'Zero ad id app' }).expect(201)).body;
    const post = (vendor: string, body: unknown) => request(api.url).post(`/v1/mat/postbacks/${vendor}/${code.code}`).send(body as object);

    const mixed = await post('igaworks', [
      { event: 'purchase', adid: ADID(1) },
      { event: 'purchase', adid: ZERO },
      { event: 'install', adid: ADID(2) },
    ]);
    expect(mixed.status).toBe(202);
    expect(mixed.body).toEqual({ accepted: 2, duplicates: 0, ignored: 1, ignoredPostbacks: [{ pointer: '/1', reason: expect.stringContaining('limited ad tracking') }] });

    // Alone, in a GET query, from AppsFlyer and from Adjust: ignored and counted alike.
    await post('igaworks', [{ event: 'purchase', adid: ZERO }]).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 0, ignored: 1 }));
    await post('kochava', { event: 'open', adid: ZERO }).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 0, ignored: 1 }));
    await request(api.url).get(`/v1/mat/postbacks/tune/${code.code}?event=install&adid=${ZERO}`).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 0, ignored: 1 }));
    await post('appsflyer', [{ event_type: 'install', advertising_id: ZERO }, { event_type: 'install', advertising_id: ADID(3) }]).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 1, ignored: 1 }));
    await request(api.url).get(`/v1/mat/postbacks/adjust/${code.code}?activity_kind=session&gps_adid=${ZERO}`).expect(202).expect((r) => expect(r.body).toMatchObject({ accepted: 0, ignored: 1 }));

    expect(await rowsOf(code.id)).toEqual([
      { vendor: 'igaworks', event: 'purchase', adid: ADID(1) },
      { vendor: 'igaworks', event: 'install', adid: ADID(2) },
      { vendor: 'appsflyer', event: 'install', adid: ADID(3) },
    ]);
    const received = (await api.as(marketer).get(`/v1/mat/link-codes/${code.id}/received`).expect(200)).body.items;
    expect(received.map((r: { vendor: string; event: string; count: number }) => [r.vendor, r.event, r.count]).sort()).toEqual([
      ['appsflyer', 'install', 1],
      ['igaworks', 'install', 1],
      ['igaworks', 'purchase', 1],
    ]);
  });

  it('still refuses a whole array holding a malformed ad id, storing nothing', async () => {
    const code = (await api.as(marketer).post('/v1/mat/link-codes', { name: 'Malformed ad id app' }).expect(201)).body;
    const res = await request(api.url).post(`/v1/mat/postbacks/igaworks/${code.code}`).send([
      { event: 'purchase', adid: ADID(4) },
      { event: 'purchase', adid: ZERO },
      { event: 'purchase', adid: 'not-an-ad-id' },
      { event: 'purchase', adid: '' },
    ]);
    const problem = expectProblem(res, 422);
    expect(problem.errors.map((e: { pointer: string; rule: string }) => [e.pointer, e.rule])).toEqual([
      ['/2/adid', 'device_id'],
      ['/3/adid', 'required'],
    ]);
    expect(await rowsOf(code.id)).toEqual([]);
  });
});
