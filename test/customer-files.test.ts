/**
 * Customer files (고객파일) through HTTP: template → upload (de-identification counts, failed rows,
 * UTF-8 / EUC-KR) → save → population over the first-party universe, with Kakao's limits (200 MB,
 * 30 per account, unique names) and account isolation.
 */
import { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import * as iconv from 'iconv-lite';
import request from 'supertest';
import { ANALYZE_ENTRIES, MAX_UPLOAD_BYTES } from '../src/customer-files/uploads';
import type { Caller } from '../src/core/types';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { loadPeople } from './helpers/universe';

let api: TestApi;
let marketer: string;
let engineer: string;

const ADID = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const BASE = '/v1/targets/customer-files';
let seq = 0;
const uniqueName = (p: string) => `${p} ${++seq}`;

function upload(body: string | Buffer, query = '', token = marketer) {
  return api.as(token).post(`${BASE}/uploads${query}`).set('Content-Type', 'text/csv').send(body);
}

/** Uploads and saves a customer file; returns its DTO. */
async function createFile(adids: string[], name = uniqueName('File')): Promise<Record<string, any>> {
  const up = await upload(['adid', ...adids].join('\n') + '\n').expect(201);
  const res = await api.as(marketer).post(BASE, { uploadId: up.body.id, name });
  expect(res.status).toBe(201);
  return res.body;
}

/** Waits for the background count (the state leaves preparing / querying). */
async function counted(id: string, token = marketer): Promise<Record<string, any>> {
  return eventually(async () => {
    const res = await api.as(token).get(`${BASE}/${id}`).expect(200);
    return ['preparing', 'querying'].includes(res.body.population.state) ? undefined : res.body;
  }, `customer file ${id} to be counted`, 20_000, 50);
}

/** Rows an upload holds in the entry and failure tables. */
async function uploadRows(uploadId: string): Promise<{ entries: number; failures: number }> {
  const { rows } = await api.db.raw(
    `select (select count(*) from target_upload_entries where upload_id = ?)::int as entries,
            (select count(*) from target_upload_failures where upload_id = ?)::int as failures`,
    [uploadId, uploadId],
  );
  return rows[0];
}

async function failures(url: string, token = marketer): Promise<string[][]> {
  const res = await api.as(token).get(url).buffer(true).parse((r, cb) => {
    let data = '';
    r.setEncoding('utf8');
    r.on('data', (c: string) => (data += c));
    r.on('end', () => cb(null, data));
  });
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/csv/);
  expect(res.headers['content-disposition']).toMatch(/attachment/);
  return parse(res.body as string) as string[][];
}

const uploadCount = async () => Number((await api.db('target_uploads').count({ n: '*' }))[0].n);

beforeAll(async () => {
  api = await startTestApi();
  marketer = await api.keyFor('marketer');
  engineer = await api.keyFor('data_engineer');
});
afterAll(async () => api.close());

describe('customer file template', () => {
  it('is a CSV download with the adid header and one example row, which itself uploads cleanly', async () => {
    const res = await api.as(marketer).get(`${BASE}/template`).expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="?customer_file_template\.csv"?$/);
    const lines = res.text.split('\r\n').filter(Boolean);
    // A BOM for Excel, the adid column and a memo column (other columns are ignored).
    expect(lines).toEqual(['\ufeffadid,메모', expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12},/)]);
    const up = await upload(res.text).expect(201);
    expect(up.body.counts).toEqual({ received: 1, succeeded: 1, failed: 0, duplicates: 0 });
  });
});

describe('customer file upload (비식별 코드화)', () => {
  const rows = [
    ADID(1), // 1 valid
    ADID(2).toUpperCase(), // 2 valid (stored lowercase)
    ADID(1), // 3 duplicate of row 1
    'not-an-adid', // 4 failed
    '00000000-0000-0000-0000-000000000000', // 5 failed: limited ad tracking
    '3f1b2c4d5e6f4a7b8c9d0e1f2a3b4c5d', // 6 failed: hyphens missing (looks hashed)
    ADID(2), // 7 duplicate of row 2 once normalised
    '광고식별자 없음', // 8 failed: Korean text (shows whether the encoding was read right)
  ];
  const text = ['adid', ...rows].join('\r\n') + '\r\n';
  const expectedCounts = { received: 8, succeeded: 2, failed: 4, duplicates: 2 };

  async function checkFailures(url: string) {
    const csv = await failures(url);
    expect(csv[0]).toEqual(['row', 'value', 'rule', 'message']);
    const byRow = csv.slice(1).map(([row, value, rule]) => [row, value, rule]);
    expect(byRow).toEqual([
      ['4', 'not-an-adid', 'device_id'],
      ['5', '00000000-0000-0000-0000-000000000000', 'device_id'],
      ['6', '3f1b2c4d5e6f4a7b8c9d0e1f2a3b4c5d', 'device_id'],
      ['8', '광고식별자 없음', 'device_id'],
    ]);
    // The normaliser's reasons, so the advertiser knows what to fix.
    expect(csv[2][3]).toMatch(/limited ad tracking/);
    expect(csv[3][3]).toMatch(/hyphens/);
  }

  it('counts valid, failed and duplicate ADIDs and offers the failed rows as a CSV download', async () => {
    const res = await upload(text, '?fileName=customers.csv').expect(201);
    expect(res.body).toMatchObject({
      status: 'ready',
      identifierType: 'ADID',
      fileName: 'customers.csv',
      encoding: 'utf-8',
      bytes: Buffer.byteLength(text),
      counts: expectedCounts,
      failuresUrl: `${BASE}/uploads/${res.body.id}/failures`,
      targetId: null,
    });
    expect(Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt)).toBe(24 * 3600_000);
    expect((await api.as(marketer).get(`${BASE}/uploads/${res.body.id}`).expect(200)).body).toEqual(res.body);
    await checkFailures(res.body.failuresUrl);
  });

  it('reads EUC-KR / CP949 files (Korean Excel) the same, sniffed or declared', async () => {
    const euckr = iconv.encode(text, 'euc-kr');
    expect(euckr.equals(Buffer.from(text, 'utf8'))).toBe(false);
    const sniffed = await upload(euckr).expect(201);
    expect(sniffed.body).toMatchObject({ encoding: 'cp949', bytes: euckr.length, counts: expectedCounts });
    await checkFailures(sniffed.body.failuresUrl);

    const declared = await upload(iconv.encode(text, 'cp949'), '?encoding=euc-kr').expect(201);
    expect(declared.body).toMatchObject({ encoding: 'cp949', counts: expectedCounts });
    await checkFailures(declared.body.failuresUrl);

    // Korean text far into the file (after kilobytes of ASCII) still decides the encoding.
    const long = ['adid', ...Array.from({ length: 300 }, (_, i) => ADID(5000 + i)), '잘못된 값'].join('\n') + '\n';
    const late = await upload(iconv.encode(long, 'cp949')).expect(201);
    expect(late.body).toMatchObject({ encoding: 'cp949', counts: { received: 301, succeeded: 300, failed: 1, duplicates: 0 } });
    expect((await failures(late.body.failuresUrl))[1].slice(0, 2)).toEqual(['301', '잘못된 값']);
  });

  it('accepts a UTF-8 BOM and the header in any case', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text.replace(/^adid/, 'ADID'), 'utf8')]);
    const res = await upload(bom).expect(201);
    expect(res.body).toMatchObject({ encoding: 'utf-8', counts: expectedCounts });
    await checkFailures(res.body.failuresUrl);
    const quoted = await upload(`"Adid"\n${ADID(1)}\n`).expect(201);
    expect(quoted.body.counts).toEqual({ received: 1, succeeded: 1, failed: 0, duplicates: 0 });
  });

  it('refuses a file whose header is not adid with 422 naming it and pointing at the template; nothing is kept', async () => {
    const before = await uploadCount();
    for (const [body, header] of [
      [`phone\n010-1234-5678\n`, 'phone'],
      [`memo,note\n${ADID(1)},vip\n`, 'memo,note'], // no ADID column
      [`not-an-adid\n${ADID(2)}\n`, 'not-an-adid'], // neither a header nor an ADID
    ]) {
      const problem = expectProblem(await upload(body), 422);
      expect(problem.detail).toContain(`"${header}"`);
      expect(problem.detail).toContain(`${BASE}/template`);
      expect(problem.errors[0]).toMatchObject({ rule: 'header' });
    }
    expect(expectProblem(await upload(''), 422).errors[0].rule).toBe('empty');
    expect(await uploadCount()).toBe(before);
  });

  it('refuses more than 200 MB with 413 naming the limit, before reading a declared length', async () => {
    const before = await uploadCount();
    const res = await request(api.url)
      .post(`${BASE}/uploads`)
      .set('Authorization', `Bearer ${marketer}`)
      .set('Content-Type', 'text/csv')
      .set('Content-Length', String(MAX_UPLOAD_BYTES + 1))
      .send(`adid\n${ADID(1)}\n`);
    const problem = expectProblem(res, 413);
    expect(problem.detail).toContain('200 MB');
    expect(problem.limit).toBe(MAX_UPLOAD_BYTES);
    expect(await uploadCount()).toBe(before);
  });

  it('stops a chunked body once it crosses 200 MB (413) and keeps nothing of it', async () => {
    const before = await uploadCount();
    // One endless record: the reader skips records over 1 MiB without holding them, so only the
    // byte limit ends this upload.
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent === 0) this.push('adid\n');
        if (sent > MAX_UPLOAD_BYTES + 2 * chunk.length) return this.push(null);
        sent += chunk.length;
        this.push(chunk);
      },
    });
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(`${BASE}/uploads`, api.url);
      const req = require('node:http').request(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { Authorization: `Bearer ${marketer}`, 'Content-Type': 'text/csv', 'Transfer-Encoding': 'chunked' } },
        (r: import('node:http').IncomingMessage) => {
          let data = '';
          r.on('data', (c) => (data += c));
          r.on('end', () => resolve({ status: r.statusCode!, body: data }));
        },
      );
      req.on('error', reject);
      body.pipe(req);
    });
    expect(res.status).toBe(413);
    expect(JSON.parse(res.body).limit).toBe(MAX_UPLOAD_BYTES);
    expect(await uploadCount()).toBe(before);
  }, 60_000);
});

describe('saving a customer file', () => {
  it('counts exactly the universe people owning its ADIDs: preparing → too small, not usable while preparing', async () => {
    await loadPeople(api, engineer, [
      { adid: ADID(101), appUserId: '5001' },
      { adid: ADID(102), appUserId: '5001' }, // same person as ADID(101), second device
      { adid: ADID(103), phone: '010-1111-2222' },
      { adid: ADID(104) }, // in the universe, not in the file
    ]);
    const up = await upload(['adid', ADID(101), ADID(102), ADID(103), ADID(999), 'oops'].join('\n')).expect(201);
    expect(up.body.counts).toEqual({ received: 5, succeeded: 4, failed: 1, duplicates: 0 });

    // Hold the universe's link lock so the background count cannot finish: the file stays 준비중.
    const services = api.runtime.services;
    const lock = await api.db.transaction();
    await lock.raw('select pg_advisory_xact_lock(hashtext(?))', [`universe:${api.adAccountId}`]);
    let id: string;
    try {
      const created = await api.as(marketer).post(BASE, { uploadId: up.body.id, name: 'VIP 고객' }).expect(201);
      id = created.body.id;
      expect(created.body).toMatchObject({
        kind: 'customer_file',
        name: 'VIP 고객',
        status: 'WAITING',
        adidCount: 4,
        upload: { id: up.body.id, counts: { received: 5, succeeded: 4, failed: 1, duplicates: 0 } },
        population: { state: 'preparing', label: '준비중', count: null, minimum: 100, usable: false },
        usage: [],
      });
      const caller: Caller = { keyId: 'test', role: 'marketer', organizationId: api.organizationId, adAccountId: api.adAccountId, orgWide: false };
      await expect(services.targets.resolveForTargeting(api.db, caller, [id], '/targeting/include')).rejects.toMatchObject({
        status: 422,
        extras: { errors: [expect.objectContaining({ pointer: '/targeting/include/0', rule: 'usable' })] },
      });
    } finally {
      await lock.rollback();
    }
    const done = await counted(id);
    // ADID(101) and ADID(102) are one person; ADID(999) is unknown to the universe.
    expect(done).toMatchObject({ status: 'COMPLETE', population: { state: 'too_small', label: '모수부족', count: 2, usable: true } });
    const upload_ = (await api.as(marketer).get(`${BASE}/uploads/${up.body.id}`).expect(200)).body;
    expect(upload_).toMatchObject({ status: 'saved', targetId: id, expiresAt: null });
    // The generic registry lists it too.
    const all = (await api.as(marketer).get('/v1/targets?kind=customer_file').expect(200)).body.items;
    expect(all.map((t: { id: string }) => t.id)).toContain(id);
  });

  it('is ready with its number once at least 100 people match', async () => {
    const adids = Array.from({ length: 120 }, (_, i) => ADID(2000 + i));
    await loadPeople(api, engineer, adids.map((adid) => ({ adid })));
    const file = await createFile([...adids, ADID(3999)]);
    const done = await counted(file.id);
    expect(done).toMatchObject({ status: 'COMPLETE', adidCount: 121, population: { state: 'ready', label: '120', count: 120, usable: true } });
  });

  it('saves an upload once, refuses one without valid ADIDs, and refuses a duplicate name with pointer /name', async () => {
    const up = await upload(`adid\n${ADID(7)}\n`).expect(201);
    const first = await api.as(marketer).post(BASE, { uploadId: up.body.id, name: 'Once' }).expect(201);
    expectProblem(await api.as(marketer).post(BASE, { uploadId: up.body.id, name: 'Twice' }), 409);

    const empty = await upload('adid\nnope\n').expect(201);
    const none = expectProblem(await api.as(marketer).post(BASE, { uploadId: empty.body.id, name: 'Empty' }), 422);
    expect(none.errors[0]).toMatchObject({ pointer: '/uploadId', rule: 'no_valid_rows' });

    const again = await upload(`adid\n${ADID(8)}\n`).expect(201);
    const dup = expectProblem(await api.as(marketer).post(BASE, { uploadId: again.body.id, name: 'once' }), 409);
    expect(dup.errors).toEqual([{ pointer: '/name', rule: 'unique', message: expect.any(String) }]);
    // Renaming onto an existing name is refused the same way; a free name is fine.
    const other = await api.as(marketer).post(BASE, { uploadId: again.body.id, name: 'Other' }).expect(201);
    expect(expectProblem(await api.as(marketer).patch(`${BASE}/${other.body.id}`, { name: 'ONCE' }), 409).errors[0].pointer).toBe('/name');
    const renamed = await api.as(marketer).patch(`${BASE}/${other.body.id}`, { name: 'Renamed' }).expect(200);
    expect(renamed.body.name).toBe('Renamed');
    expect(first.body.name).toBe('Once');
  });

  it('purges uploads nobody saved within 24 hours, with their ADIDs and failed rows', async () => {
    const services = api.runtime.services;
    const kept = await upload(`adid\n${ADID(9)}\nnope\n`).expect(201);
    const saved = await createFile([ADID(10)]);
    const realNow = services.clock.now;
    services.clock.now = () => new Date(Date.now() + 25 * 3600_000);
    try {
      // Already expired for saving before the purge runs.
      expect(expectProblem(await api.as(marketer).post(BASE, { uploadId: kept.body.id, name: 'Late' }), 422).errors[0].rule).toBe('expired');
      expect(await services.customerFiles.purgeExpiredUploads()).toBeGreaterThan(0);
    } finally {
      services.clock.now = realNow;
    }
    await expectProblem(await api.as(marketer).get(`${BASE}/uploads/${kept.body.id}`), 404);
    await api.as(marketer).get(`${BASE}/uploads/${saved.upload.id}`).expect(200);
    await api.as(marketer).get(`${BASE}/${saved.id}`).expect(200);
    expect(await uploadRows(kept.body.id)).toEqual({ entries: 0, failures: 0 });
    expect(await uploadRows(saved.upload.id)).toEqual({ entries: 1, failures: 0 });
  });

  it('takes its ADIDs and failed rows along when it is deleted', async () => {
    const up = await upload(`adid\n${ADID(12)}\n${ADID(13)}\nnope\n`).expect(201);
    const created = await api.as(marketer).post(BASE, { uploadId: up.body.id, name: uniqueName('Doomed') }).expect(201);
    expect(await uploadRows(up.body.id)).toEqual({ entries: 2, failures: 1 });
    await api.as(marketer).delete(`${BASE}/${created.body.id}`).expect(204);
    expect(await uploadRows(up.body.id)).toEqual({ entries: 0, failures: 0 });
  });

  it("refreshes the entries' statistics after a large file, so its count plans for its real size", async () => {
    const known = Array.from({ length: 150 }, (_, i) => ADID(400_000 + i));
    await loadPeople(api, engineer, known.map((adid) => ({ adid })));
    const unknown = Array.from({ length: ANALYZE_ENTRIES }, (_, i) => ADID(500_000 + i));
    const analysed = async () =>
      (await api.db.raw(`select last_analyze from pg_stat_user_tables where relname = 'target_upload_entries'`)).rows[0]?.last_analyze ?? null;
    const before = await analysed();
    const up = await upload(['adid', ...unknown, ...known, known[0], 'nope'].join('\n') + '\n').expect(201);
    expect(up.body.counts).toEqual({ received: ANALYZE_ENTRIES + 152, succeeded: ANALYZE_ENTRIES + 150, failed: 1, duplicates: 1 });
    expect(await analysed()).not.toEqual(before);
    const created = await api.as(marketer).post(BASE, { uploadId: up.body.id, name: uniqueName('Large') }).expect(201);
    const done = await counted(created.body.id);
    expect(done).toMatchObject({ status: 'COMPLETE', adidCount: ANALYZE_ENTRIES + 150, population: { state: 'ready', count: 150 } });
  }, 60_000);

  it("is the account's own: another account sees none of it", async () => {
    const other = await api.otherAccount();
    const mine = await createFile([ADID(11)]);
    const as = api.as(other.adminToken);
    expect((await as.get(BASE).expect(200)).body.items).toEqual([]);
    await expectProblem(await as.get(`${BASE}/${mine.id}`), 404);
    await expectProblem(await as.patch(`${BASE}/${mine.id}`, { name: 'Mine now' }), 404);
    await expectProblem(await as.delete(`${BASE}/${mine.id}`), 404);
    await expectProblem(await as.get(`${BASE}/uploads/${mine.upload.id}`), 404);
    await expectProblem(await as.get(`${BASE}/uploads/${mine.upload.id}/failures`), 404);
    const up = await upload(`adid\n${ADID(12)}\n`).expect(201);
    const problem = expectProblem(await as.post(BASE, { uploadId: up.body.id, name: 'Stolen' }), 422);
    expect(problem.errors[0]).toMatchObject({ pointer: '/uploadId', rule: 'exists' });
    await api.as(marketer).get(`${BASE}/${mine.id}`).expect(200);
  });

  it('refuses the 31st customer file with 409 naming the limit of 30', async () => {
    const existing = (await api.as(marketer).get(BASE).expect(200)).body.items.length;
    for (let i = existing; i < 30; i++) await createFile([ADID(10_000 + i)]);
    expect((await api.as(marketer).get(BASE).expect(200)).body.items).toHaveLength(30);
    const up = await upload(`adid\n${ADID(20_000)}\n`).expect(201);
    const problem = expectProblem(await api.as(marketer).post(BASE, { uploadId: up.body.id, name: 'Thirty-first' }), 409);
    expect(problem.detail).toContain('30');
    expect(problem.limit).toBe(30);
    // Deleting one makes room again.
    const victim = (await api.as(marketer).get(BASE).expect(200)).body.items[0];
    await api.as(marketer).delete(`${BASE}/${victim.id}`).expect(204);
    await expectProblem(await api.as(marketer).get(`${BASE}/${victim.id}`), 404);
    await api.as(marketer).post(BASE, { uploadId: up.body.id, name: 'Thirty-first' }).expect(201);
  });

  it('lets only marketers and admins change customer files; every role may read them', async () => {
    const gov = api.as(await api.keyFor('governance'));
    await gov.get(BASE).expect(200);
    await gov.get(`${BASE}/template`).expect(200);
    expectProblem(await upload(`adid\n${ADID(13)}\n`, '', await api.keyFor('governance')), 403);
  });
});
