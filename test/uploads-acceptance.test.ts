/**
 * Issue 13, items 4–6, through HTTP against the real service (and, for dataflows, the SFTP test
 * server):
 * - customer files and friend group files as CRMs export them: extra columns (ignored and listed),
 *   the accepted names of the identifier column, headerless one-column files, two identifier
 *   columns refused; an acceptance corpus (CP949 with a BOM and CRLF, a Korean memo column; a phone
 *   file with the header `phone`) whose success / duplicate / failure counts are computed here,
 *   independently of the service's normalisers;
 * - the `mapping` query parameter of `POST /v1/datasets/{id}/data` as JSON text as well as
 *   mapping[header]=path, and how OpenAPI describes it;
 * - a multi-value separator for array fields on batches, one-step uploads and SFTP dataflows.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as iconv from 'iconv-lite';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { ProspectSetup, setUpProspects } from './helpers/prospects';
import { startSftpServer, TestSftpServer } from './setup/sftp-server';

let api: TestApi;
let marketer: string;
let p: ProspectSetup;
let sftp: TestSftpServer;
let channelId: string;

const FILES = '/v1/targets/customer-files';
const GROUPS = '/v1/targets/friend-groups';
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

beforeAll(async () => {
  api = await startTestApi();
  marketer = await api.keyFor('marketer');
  p = await setUpProspects(api, 'Up');
  sftp = await startSftpServer();
  channelId = (await api.as(marketer).post('/v1/talk-channels', { name: '업로드 채널', searchId: '@uploads' }).expect(201)).body.id;
});
afterAll(async () => {
  await api.close();
  await sftp.stop();
});

const uploadFile = (body: string | Buffer, query = '') => api.as(marketer).post(`${FILES}/uploads${query}`).set('Content-Type', 'text/csv').send(body);
const uploadGroup = (type: 'PHONE_NUMBER' | 'APP_USER_ID', body: string | Buffer) =>
  api.as(marketer).post(`${GROUPS}/uploads?channelId=${channelId}&type=${type}`).set('Content-Type', 'text/csv').send(body);
const uploadCount = async () => Number((await api.db('target_uploads').count({ n: '*' }))[0].n);

/** A CSV cell as Excel writes it: quoted when it holds a comma, a quote or a line break. */
const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** Parses the failure download (row,value,rule,message), quoted cells included. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      rows.push([...row, field]);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

async function failureRows(url: string): Promise<string[][]> {
  const res = await api.as(marketer).get(url).buffer(true).parse((r, cb) => {
    let data = '';
    r.setEncoding('utf8');
    r.on('data', (c: string) => (data += c));
    r.on('end', () => cb(null, data));
  });
  expect(res.status).toBe(200);
  return parseCsv(res.body as string).slice(1);
}

const ADID = (n: number) => `3f1b2c4d-5e6f-4a7b-8c9d-${n.toString(16).padStart(12, '0')}`;

// ---- the acceptance corpus -----------------------------------------------------------------

/** The test's own ADID rule (GAID/IDFA: a UUID with hyphens, not the all-zero id), case-folded. */
function adidOf(v: string): string | null {
  const t = v.trim().toLowerCase();
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(t) && !/^[0-]+$/.test(t) ? t : null;
}

/** The test's own Korean mobile rule: 010 + 8 digits, written with +82 / 82, without the 0, full-width … */
function mobileOf(v: string): string | null {
  let d = v.normalize('NFKC').replace(/[\s().-]/g, '');
  if (!/^\+?\d+$/.test(d)) return null;
  d = d.replace(/^\+/, '');
  if (d.startsWith('82')) d = d.slice(2).replace(/^0?/, '0');
  else if (d.startsWith('10') && d.length === 10) d = `0${d}`;
  return /^010\d{8}$/.test(d) ? `+82${d.slice(1)}` : null;
}

/** Expected counts and failed rows of a corpus, by the rule given (rows: the identifier cells). */
function expected(rows: { id: string; columns: number }[], rule: (v: string) => string | null, width: number) {
  const seen = new Set<string>();
  const counts = { received: rows.length, succeeded: 0, failed: 0, duplicates: 0 };
  const failedRows: number[] = [];
  rows.forEach((r, i) => {
    const v = r.columns === width && r.id.trim() !== '' ? rule(r.id) : null;
    if (v === null) {
      counts.failed++;
      failedRows.push(i + 1);
    } else if (seen.has(v)) counts.duplicates++;
    else {
      seen.add(v);
      counts.succeeded++;
    }
  });
  return { counts, failedRows };
}

/** A CRM's customer export: ADID, a Korean memo (commas, quotes, line breaks), a few broken rows. */
const customerRows: { id: string; memo: string; raw?: string }[] = [
  ...Array.from({ length: 30 }, (_, i) => ({ id: ADID(i + 1), memo: i % 3 === 0 ? `VIP 고객 ${i}` : '' })),
  { id: ADID(1).toUpperCase(), memo: '대문자로 쓴 중복' }, // duplicate of row 1 once lower-cased
  { id: ` ${ADID(2)} `, memo: '앞뒤 공백, 중복' }, // duplicate of row 2
  { id: ADID(3), memo: '"특별" 고객' }, // duplicate, with quotes in the memo
  { id: 'not-an-adid', memo: '형식 오류' },
  { id: '00000000-0000-0000-0000-000000000000', memo: '광고 추적 제한' },
  { id: '3f1b2c4d5e6f4a7b8c9d0e1f2a3b4c5d', memo: '하이픈 없음' },
  { id: '광고식별자 없음', memo: '한글 값' },
  { id: '', memo: 'ADID 칸이 비어 있음' },
  { id: ADID(31), memo: '첫째 줄\r\n둘째 줄' }, // a quoted line break inside the memo
  { id: ADID(32), memo: '', raw: `${ADID(32)},서울,강남` }, // an unquoted comma: three fields
  { id: ADID(33), memo: '마지막 정상 행' },
];

function customerCsv(header: string): string {
  const lines = [header, ...customerRows.map((r) => r.raw ?? `${cell(r.id)},${cell(r.memo)}`)];
  // Excel ends the sheet with empty formatted rows: cells only, no values.
  return lines.join('\r\n') + '\r\n,\r\n,\r\n';
}

const customerExpected = expected(
  customerRows.map((r) => ({ id: r.id, columns: r.raw ? r.raw.split(',').length : 2 })),
  adidOf,
  2,
);

/** Korean mobile numbers as advertisers paste them, with duplicates and rows that cannot be friends. */
const phoneRows = [
  '010-1234-5678',
  '01012345678', // duplicate
  '+82 10-1234-5678', // duplicate
  '82 10 2222 3333',
  '1022223333', // Excel dropped the 0: duplicate
  '010 3333 4444',
  '(010) 4444-5555',
  '010.5555.6666',
  '０１０-６６６６-７７７７', // full-width digits
  '+82-10-7777-8888',
  '010-7777-8888', // duplicate
  '02-123-4567', // Seoul landline
  '031-123-4567', // landline
  '070-1234-5678', // internet phone
  '010-12', // too short
  '없음', // Korean text
  'abc',
  ...Array.from({ length: 20 }, (_, i) => `010-9${String(i).padStart(3, '0')}-${String(1000 + i)}`),
];
const phoneExpected = expected(phoneRows.map((id) => ({ id, columns: 1 })), mobileOf, 1);

describe('customer files as CRMs export them', () => {
  it('reads the acceptance corpus (CP949 with a BOM, CRLF, a 메모 column) with exactly the counts computed here', async () => {
    const text = customerCsv('ADID,메모');
    const cp949 = Buffer.concat([BOM, iconv.encode(text, 'cp949')]);
    expect(iconv.decode(cp949.subarray(3), 'cp949')).toBe(text); // the corpus survives the encoding
    const res = await uploadFile(cp949, '?fileName=crm_export.csv').expect(201);
    expect(res.body).toMatchObject({ encoding: 'cp949', column: 'ADID', ignoredColumns: ['메모'], counts: customerExpected.counts });
    expect(customerExpected.counts).toEqual({ received: 41, succeeded: 32, failed: 6, duplicates: 3 });
    expect((await api.as(marketer).get(`${FILES}/uploads/${res.body.id}`).expect(200)).body).toEqual(res.body);

    const failed = await failureRows(res.body.failuresUrl);
    expect(failed.map((f) => Number(f[0]))).toEqual(customerExpected.failedRows);
    const byValue = new Map(failed.map((f) => [f[1], f[2]]));
    expect(byValue.get('광고식별자 없음')).toBe('device_id'); // Korean read right from CP949
    expect(failed.find((f) => f[2] === 'required')?.[3]).toMatch(/"ADID" cell is empty/);
    expect(failed.find((f) => f[2] === 'column_count')?.[1]).toBe(`${ADID(32)},서울,강남`);

    // The same corpus as UTF-8 (no BOM, LF) under another accepted name counts the same.
    const utf8 = await uploadFile(customerCsv('광고식별자,메모').replace(/\r\n/g, '\n')).expect(201);
    expect(utf8.body).toMatchObject({ encoding: 'utf-8', column: '광고식별자', ignoredColumns: ['메모'], counts: customerExpected.counts });
    const saved = await api.as(marketer).post(FILES, { uploadId: res.body.id, name: 'CRM 고객' }).expect(201);
    expect(saved.body.adidCount).toBe(customerExpected.counts.succeeded);
  });

  it('finds the ADID column by any accepted name, in any position, and lists the ignored columns', async () => {
    for (const name of ['adid', 'ADID', '광고식별자', 'ad_id', 'gaid', 'idfa', 'IDFA', 'Ad-ID', '"Gaid"']) {
      const file = `\ufeff회원번호,${name},메모\n1001,${ADID(1)},첫 구매\n1002,${ADID(2)},\n`;
      const res = await uploadFile(file).expect(201);
      expect(res.body).toMatchObject({ column: name.replace(/"/g, ''), ignoredColumns: ['회원번호', '메모'], counts: { received: 2, succeeded: 2, failed: 0, duplicates: 0 } });
    }
  });

  it('reads a one-column file without a header when its first line is an ADID', async () => {
    const res = await uploadFile(`${ADID(7)}\r\n${ADID(8)}\r\nnope\r\n${ADID(7)}\r\n`).expect(201);
    expect(res.body).toMatchObject({ column: null, ignoredColumns: [], counts: { received: 4, succeeded: 2, failed: 1, duplicates: 1 } });
    expect((await failureRows(res.body.failuresUrl)).map((f) => f.slice(0, 3))).toEqual([['3', 'nope', 'device_id']]);
  });

  it('refuses two ADID columns, no ADID column and a headerless file of several columns with 422; nothing is kept', async () => {
    const before = await uploadCount();
    const several = expectProblem(await uploadFile(`gaid,idfa,메모\n${ADID(1)},${ADID(2)},x\n`), 422);
    expect(several.errors).toEqual([{ pointer: '', rule: 'several_id_columns', message: expect.stringContaining('"gaid", "idfa"') }]);
    expect(several.columns).toEqual(['gaid', 'idfa']);
    for (const [body, found] of [
      [`회원번호,메모\n1001,x\n`, '"회원번호,메모"'],
      [`${ADID(1)},VIP\n`, `"${ADID(1)},VIP"`],
      [`adid_hash\n${ADID(1)}\n`, '"adid_hash"'],
    ]) {
      const problem = expectProblem(await uploadFile(body), 422);
      expect(problem.errors[0]).toMatchObject({ pointer: '', rule: 'header' });
      expect(problem.detail).toContain(found);
      expect(problem.acceptedHeaders).toEqual(['adid', 'ADID', '광고식별자', 'ad_id', 'gaid', 'idfa']);
    }
    expect(await uploadCount()).toBe(before);
  });

  it('offers a template with a memo column that uploads as it is', async () => {
    const template = await api.as(marketer).get(`${FILES}/template`).expect(200);
    const res = await uploadFile(Buffer.from(template.text, 'utf8')).expect(201);
    expect(res.body).toMatchObject({ column: 'adid', ignoredColumns: ['메모'], counts: { received: 1, succeeded: 1, failed: 0, duplicates: 0 } });
  });
});

describe('friend group files as CRMs export them', () => {
  it('reads the acceptance corpus (header phone, mixed Korean formats) with exactly the counts computed here', async () => {
    const file = Buffer.concat([BOM, Buffer.from(['phone', ...phoneRows].join('\r\n') + '\r\n', 'utf8')]);
    const res = await uploadGroup('PHONE_NUMBER', file).expect(201);
    expect(res.body).toMatchObject({ friendType: 'PHONE_NUMBER', column: 'phone', ignoredColumns: [], counts: phoneExpected.counts });
    expect(phoneExpected.counts).toEqual({ received: 37, succeeded: 27, failed: 6, duplicates: 4 });
    const failed = await failureRows(res.body.failuresUrl);
    expect(failed.map((f) => Number(f[0]))).toEqual(phoneExpected.failedRows);
    expect(failed.filter((f) => f[2] === 'not_mobile').map((f) => f[1])).toEqual(['02-123-4567', '031-123-4567', '070-1234-5678']);
    const group = await api.as(marketer).post(GROUPS, { uploadId: res.body.id, name: 'CRM 친구' }).expect(201);
    expect(group.body.registeredCount).toBe(phoneExpected.counts.succeeded);
  });

  it('accepts every phone and app user id column name; a row with both reads the column of the upload type', async () => {
    for (const name of ['phone', 'phone_number', '전화번호', 'mobile', 'Phone Number', 'MOBILE']) {
      const res = await uploadGroup('PHONE_NUMBER', `${name},이름\n010-1234-5678,홍길동\n`).expect(201);
      expect(res.body).toMatchObject({ column: name, ignoredColumns: ['이름'], counts: { received: 1, succeeded: 1 } });
    }
    for (const name of ['app_user_id', '앱유저아이디', 'App User ID']) {
      const res = await uploadGroup('APP_USER_ID', `이름,${name}\n홍길동,9001\n`).expect(201);
      expect(res.body).toMatchObject({ column: name, ignoredColumns: ['이름'], counts: { received: 1, succeeded: 1 } });
    }
    const both = '이름,phone,app_user_id\n홍길동,010-1234-5678,9001\n김철수,010-2222-3333,9002\n';
    const phones = await uploadGroup('PHONE_NUMBER', both).expect(201);
    expect(phones.body).toMatchObject({ column: 'phone', ignoredColumns: ['이름', 'app_user_id'], counts: { received: 2, succeeded: 2, failed: 0 } });
    const ids = await uploadGroup('APP_USER_ID', both).expect(201);
    expect(ids.body).toMatchObject({ column: 'app_user_id', ignoredColumns: ['이름', 'phone'], counts: { received: 2, succeeded: 2, failed: 0 } });
    const entries = await api.db('target_upload_entries').where({ upload_id: ids.body.id }).orderBy('node').pluck('node');
    expect(entries).toEqual(['app_user_id:9001', 'app_user_id:9002']);
  });

  it('reads a headerless phone file; refuses two phone columns and a file of the other type with 422', async () => {
    const headerless = await uploadGroup('PHONE_NUMBER', '01012345678\n010-2222-3333\n').expect(201);
    expect(headerless.body).toMatchObject({ column: null, counts: { received: 2, succeeded: 2 } });
    const before = await uploadCount();
    const two = expectProblem(await uploadGroup('PHONE_NUMBER', 'phone,mobile\n010-1234-5678,010-2222-3333\n'), 422);
    expect(two.errors[0]).toMatchObject({ rule: 'several_id_columns' });
    expect(two.columns).toEqual(['phone', 'mobile']);
    const other = expectProblem(await uploadGroup('PHONE_NUMBER', '앱유저아이디,메모\n9001,x\n'), 422);
    expect(other.errors[0]).toMatchObject({ pointer: '', rule: 'header' });
    expect(other.detail).toContain('type=APP_USER_ID');
    expect(await uploadCount()).toBe(before);
  });
});

describe('the mapping query parameter of POST /v1/datasets/{id}/data', () => {
  const post = (query: string, body: string) => api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv&${query}`).set('Content-Type', 'text/csv').send(body);
  const batchCount = async () => (await api.as(p.token).get(`/v1/datasets/${p.datasetId}/batches`).expect(200)).body.items.length;
  const profile = async (id: string) => (await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/${id}`).expect(200)).body.attributes;

  it('takes the mapping as URL-encoded JSON (headers with brackets and dots; "" ignores a column) and as mapping[header]=path', async () => {
    const mapping = { 'PID[vendor]': 'partnerID', 'addr.city': 'homeAddress.city', 메모: '' };
    const res = await post(`mapping=${encodeURIComponent(JSON.stringify(mapping))}`, 'PID[vendor],addr.city,메모\nM1,Seoul,무시\n').expect(201);
    expect(res.body).toMatchObject({ status: 'success', counts: { input: 1, output: 1, failed: 0 }, mapping });
    expect((await profile('M1')).homeAddress).toEqual({ city: 'Seoul' });
    const deep = await post('mapping[PID]=partnerID&mapping[CITY]=homeAddress.city', 'PID,CITY\nM2,Busan\n').expect(201);
    expect(deep.body).toMatchObject({ status: 'success', counts: { output: 1 } });
    expect((await profile('M2')).homeAddress).toEqual({ city: 'Busan' });
  });

  it('answers a malformed JSON mapping with 422 at /query/mapping and creates no batch', async () => {
    const before = await batchCount();
    for (const [value, pointer, rule] of [
      ['{"PID":', '/query/mapping', 'json'],
      ['PID,partnerID', '/query/mapping', 'json'], // form style
      ['["partnerID"]', '/query/mapping', 'object'],
      ['{"PID":5}', '/query/mapping/PID', 'type'],
    ]) {
      const problem = expectProblem(await post(`mapping=${encodeURIComponent(value)}`, 'PID\nM9\n'), 422);
      expect(problem.errors).toEqual([{ pointer, rule, message: expect.any(String) }]);
    }
    expect(await batchCount()).toBe(before);
  });

  it('is described in OpenAPI: deepObject style, or JSON text', async () => {
    const doc = (await api.as(p.token).get('/v1/openapi.json').expect(200)).body;
    const param = doc.paths['/v1/datasets/{id}/data'].post.parameters.find((x: { name: string }) => x.name === 'mapping');
    expect(param).toMatchObject({ in: 'query', style: 'deepObject', explode: true });
    expect(param.schema.anyOf).toEqual([expect.objectContaining({ type: 'object' }), expect.objectContaining({ type: 'string', contentMediaType: 'application/json' })]);
    expect(param.schema.description).toMatch(/mapping\[header\]=path.*mapping=\{"header":"path"\}/);
  });
});

describe('multi-value separator for array fields', () => {
  const profile = async (id: string) => (await api.as(p.token).get(`/v1/profiles/${p.namespaceCode}/${id}`).expect(200)).body.attributes;
  const batchCount = async () => (await api.as(p.token).get(`/v1/datasets/${p.datasetId}/batches`).expect(200)).body.items.length;
  const file = 'partnerID,consumer.interests\nV1,golf; travel;;\nV2,"[vip];books"\nV3,;\nV4,\n';

  it('splits cells on the batch separator: items trimmed, empty items dropped, brackets are text', async () => {
    const batch = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv', multiValueSeparator: ';' }).expect(201);
    expect(batch.body.format).toMatchObject({ multiValueSeparator: ';' });
    await api.as(p.token).put(`/v1/batches/${batch.body.id}/files/partner.csv`).set('Content-Type', 'text/csv').send(file).expect(200);
    const done = await api.as(p.token).post(`/v1/batches/${batch.body.id}/complete`, {}).expect(200);
    expect(done.body).toMatchObject({ status: 'success', counts: { input: 4, output: 4, failed: 0 } });
    expect((await profile('V1')).consumer.interests).toEqual(['golf', 'travel']);
    expect((await profile('V2')).consumer.interests).toEqual(['[vip]', 'books']);
    expect((await profile('V3')).consumer.interests).toEqual([]);
    expect((await profile('V4')).consumer).toBeUndefined();
  });

  it('keeps JSON arrays without a separator, and says how to send a;b', async () => {
    const res = await api
      .as(p.token)
      .post(`/v1/datasets/${p.datasetId}/data?format=csv&errorThreshold=100`)
      .set('Content-Type', 'text/csv')
      .send('partnerID,consumer.interests\nJ1,"[""golf"",""travel""]"\nJ2,golf;travel\n')
      .expect(201);
    expect(res.body.counts).toEqual({ input: 2, output: 1, failed: 1 });
    expect((await profile('J1')).consumer.interests).toEqual(['golf', 'travel']);
    const errors = JSON.parse((await api.as(p.token).get(`/v1/batches/${res.body.id}/errors?format=json`).expect(200)).text);
    expect(errors).toEqual([expect.objectContaining({ row: 2, field: 'consumer.interests', rule: 'array', message: expect.stringContaining('multiValueSeparator') })]);
    const piped = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv&multiValueSeparator=%7C`).set('Content-Type', 'text/csv').send('partnerID,consumer.interests\nJ3,a|b\n').expect(201);
    expect(piped.body).toMatchObject({ status: 'success', format: { multiValueSeparator: '|' } });
    expect((await profile('J3')).consumer.interests).toEqual(['a', 'b']);
  });

  it('refuses a separator that is the delimiter, the quote, a line break, two characters, or given for JSON lines', async () => {
    const before = await batchCount();
    for (const [body, rule] of [
      [{ format: 'csv', multiValueSeparator: ',' }, 'not-delimiter'],
      [{ format: 'csv', delimiter: '|', multiValueSeparator: '|' }, 'not-delimiter'],
      [{ format: 'csv', multiValueSeparator: '"' }, 'not-quote'],
      [{ format: 'csv', multiValueSeparator: '\n' }, 'not-newline'],
      [{ format: 'csv', multiValueSeparator: ';;' }, 'one-character'],
      [{ format: 'jsonl', multiValueSeparator: ';' }, 'csv-only'],
    ] as const) {
      const problem = expectProblem(await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, body), 422);
      expect(problem.errors).toEqual([{ pointer: '/multiValueSeparator', rule, message: expect.any(String) }]);
    }
    const query = expectProblem(await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv&multiValueSeparator=,`).set('Content-Type', 'text/csv').send('partnerID\nX\n'), 422);
    expect(query.errors).toEqual([{ pointer: '/query/multiValueSeparator', rule: 'not-delimiter', message: expect.any(String) }]);
    expect(await batchCount()).toBe(before);
  });

  it('is a dataflow format option: an SFTP dataflow loads tab-separated partner files with a | separator', async () => {
    const conn = (
      await api
        .as(p.token)
        .post('/v1/connections', {
          name: 'Partner SFTP (multi-value)',
          kind: 'sftp',
          settings: { host: sftp.host, port: sftp.port, username: sftp.user.username, hostKeyFingerprint: sftp.hostKeyFingerprint },
          credentials: { password: sftp.user.password },
        })
        .expect(201)
    ).body;
    const flowBody = (format: Record<string, unknown>) => ({
      name: `Interests ${JSON.stringify(format)}`,
      connectionId: conn.id,
      datasetId: p.datasetId,
      folder: '/interests',
      pattern: '*.tsv',
      format,
      schedule: { frequency: 'day', interval: 1 },
      backfill: true,
    });
    const flowsBefore = (await api.as(p.token).get('/v1/dataflows').expect(200)).body.items.length;
    const bad = expectProblem(await api.as(p.token).post('/v1/dataflows', flowBody({ format: 'csv', delimiter: '\t', multiValueSeparator: '\t' })), 422);
    expect(bad.errors).toEqual([{ pointer: '/format/multiValueSeparator', rule: 'not-delimiter', message: expect.any(String) }]);
    expect((await api.as(p.token).get('/v1/dataflows').expect(200)).body.items.length).toBe(flowsBefore);

    fs.mkdirSync(path.join(sftp.root, 'interests'), { recursive: true });
    fs.writeFileSync(path.join(sftp.root, 'interests', 'partner_1.tsv'), 'partnerID\tconsumer.interests\nS1\t골프|여행\nS2\tbooks | music |\n');
    const flow = (await api.as(p.token).post('/v1/dataflows', flowBody({ format: 'csv', delimiter: '\t', multiValueSeparator: ';' })).expect(201)).body;
    expect(flow.format).toEqual({ format: 'csv', delimiter: '\t', multiValueSeparator: ';' });
    const refused = expectProblem(await api.as(p.token).patch(`/v1/dataflows/${flow.id}`, { format: { format: 'csv', delimiter: '\t', multiValueSeparator: '\n' } }), 422);
    expect(refused.errors[0]).toMatchObject({ pointer: '/format/multiValueSeparator', rule: 'not-newline' });
    const updated = await api.as(p.token).patch(`/v1/dataflows/${flow.id}`, { format: { format: 'csv', delimiter: '\t', multiValueSeparator: '|' } }).expect(200);
    expect(updated.body.format.multiValueSeparator).toBe('|');

    const started = await api.as(p.token).post(`/v1/dataflows/${flow.id}/runs`, {}).expect(202);
    const run = await eventually(async () => {
      const r = (await api.as(p.token).get(`/v1/dataflows/${flow.id}/runs/${started.body.id}`).expect(200)).body;
      return r.status === 'success' || r.status === 'failed' ? r : null;
    }, 'the dataflow run');
    expect(run).toMatchObject({ status: 'success', counts: { filesIngested: 1, input: 2, output: 2, failed: 0 } });
    expect((await profile('S1')).consumer.interests).toEqual(['골프', '여행']);
    expect((await profile('S2')).consumer.interests).toEqual(['books', 'music']);
  });
});
