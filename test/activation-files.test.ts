/**
 * The bytes of activation files, made by PostgreSQL (COPY) rather than by the row encoder: they
 * must be exactly what the encoder of connectors/export-format.ts writes for the same rows, under
 * every CSV setting, in JSON lines, split into parts (values holding line feeds included), with a
 * deduplication key, and for an empty audience. Plus the pure pieces: the SQL formula
 * neutralisation against neutraliseCell, and the row scanner that cuts parts.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { DestinationWriter } from '../connectors/destination-types';
import { createCsvEncoder, createJsonLinesEncoder, CsvDelimiter, neutraliseCell } from '../connectors/export-format';
import { neutralisedSql, RowScanner } from '../src/activation/copy-export';
import { startTestApi, TestApi } from './helpers/harness';
import { eventually } from './helpers/poll';
import { ProspectSetup, setUpProspects } from './helpers/prospects';
import { startS3Server, TestS3Server } from './setup/s3-server';

let api: TestApi;
let p: ProspectSetup;
let other: ProspectSetup;
let marketer: string;
let admin: string;
let s3: TestS3Server;
let daeguId: string;
let nobodyId: string;

/** First names a spreadsheet or a CSV reader could trip on; `null` is an empty cell. */
const NAMES: (string | null)[] = [
  'a,b',
  'say "hi"',
  'line1\nline2',
  '=1+2',
  '-12.5',
  '+14155550100',
  '＝SUM(A1)',
  '@x',
  null,
  '-2+3',
  'back\\slash',
  'a;b',
  "it's",
  'NULL',
  'plain',
];
const PEOPLE = NAMES.map((firstName, i) => ({ id: `F${String(i).padStart(2, '0')}`, firstName, city: i === 14 ? 'Ulsan' : 'Daegu', email: i % 3 ? `f${i}@example.com` : null }));

const OTHERS = ['x', null, '=y'].map((firstName, i) => ({ id: `G${i}`, firstName, city: 'Daegu', email: null }));

/** The loaded file, quoted as RFC 4180 wants (the dataset's CSV reader). */
function csvOf(rows: typeof PEOPLE): string {
  const q = (v: string | null) => (v === null ? '' : /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return ['partnerID,person.name.firstName,homeAddress.city,consumer.age,personalEmail.address', ...rows.map((r) => [r.id, q(r.firstName), r.city, '30', q(r.email)].join(','))].join('\n') + '\n';
}

async function waitDone(path: string) {
  let status = '';
  return eventually(async () => {
    const res = await api.as(marketer).get(path).expect(200);
    status = res.body.status;
    return status === 'success' || status === 'failed' ? res.body : undefined;
  }, () => `${path} to finish (still ${status})`, 20_000, 30);
}

async function evaluate(audienceId: string) {
  const ev = await api.as(marketer).post(`/v1/audiences/${audienceId}/evaluations`, {}).expect(202);
  return waitDone(`/v1/audiences/${audienceId}/evaluations/${ev.body.id}`);
}

let destinations = 0;
/** Creates an activation of `audienceId` to a fresh S3 prefix, runs it, and returns the run and its files' bytes (gunzipped). */
async function runTo(settings: Record<string, unknown>, activation: Record<string, unknown>, audienceId = daeguId) {
  const prefix = `d${++destinations}`;
  const dest = await api
    .as(admin)
    .post('/v1/destinations', {
      name: `Files ${prefix}`,
      kind: 's3',
      settings: { region: s3.region, endpoint: s3.endpoint, bucket: 'files', prefix: `${prefix}/`, ...settings },
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    })
    .expect(201);
  const body = {
    name: `Daegu ${prefix}`,
    destinationId: dest.body.id,
    audienceIds: [audienceId],
    schedule: { type: 'after_evaluation' },
    mapping: {
      identity: { namespace: p.namespaceCode, column: 'partner_id' },
      attributes: [
        { field: 'person.name.firstName', column: 'first name' },
        { field: 'personalEmail.address', column: 'email' },
      ],
    },
    ...activation,
  };
  const dry = await api.as(marketer).post('/v1/activations/dry-run', body).expect(200);
  const created = await api.as(marketer).post('/v1/activations', body).expect(201);
  const r = await api.as(marketer).post(`/v1/activations/${created.body.activation.id}/runs`, {}).expect(202);
  const done = await waitDone(`/v1/activations/${created.body.activation.id}/runs/${r.body.id}`);
  expect({ status: done.status, error: done.error }).toEqual({ status: 'success', error: null });
  // The run counts what the dry run (one aggregate over the full statement) counts.
  expect(done.counts).toEqual(dry.body.counts);
  const files: string[] = [];
  for (const f of done.files) {
    const res = await s3.client().send(new GetObjectCommand({ Bucket: 'files', Key: f.path }));
    const bytes = Buffer.from(await res.Body!.transformToByteArray());
    files.push((settings.compression === 'gzip' ? gunzipSync(bytes) : bytes).toString('utf8'));
  }
  return { run: done, files };
}

/** The people of `ids`, in the order the database sorts identities (the files' order). */
async function inFileOrder(rows: typeof PEOPLE): Promise<typeof PEOPLE> {
  const order: string[] = (await api.db.raw('select i from unnest(?::text[]) i order by i', [rows.map((r) => r.id)])).rows.map((r: { i: string }) => r.i);
  return order.map((id) => rows.find((r) => r.id === id)!);
}

/** What the row encoder writes for these people (identity, first name, email). */
async function encoded(rows: typeof PEOPLE, opts: { delimiter?: string; quote?: string; nullOutput?: string; jsonl?: boolean }): Promise<string> {
  const out: Buffer[] = [];
  const encoder = opts.jsonl
    ? createJsonLinesEncoder({ gzip: false })
    : createCsvEncoder({ columns: ['partner_id', 'first name', 'email'], delimiter: (opts.delimiter ?? ',') as CsvDelimiter, quote: opts.quote ?? '"', nullOutput: opts.nullOutput ?? '', gzip: false });
  await pipeline(
    Readable.from(rows.map((r) => [r.id, r.firstName, r.email])),
    encoder,
    new Writable({ write: (c: Buffer, _e, cb) => (out.push(c), cb()) }),
  );
  return Buffer.concat(out).toString('utf8');
}

beforeAll(async () => {
  api = await startTestApi();
  admin = api.adminToken;
  s3 = await startS3Server();
  await s3.createBucket('files');
  p = await setUpProspects(api, 'Fil');
  marketer = await api.keyFor('marketer');
  await api.as(p.token).post(`/v1/datasets/${p.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(csvOf(PEOPLE)).expect(201);
  // A second vendor: Daegu's snapshot then holds two namespaces, and a file exports one of them.
  other = await setUpProspects(api, 'Fil2', { token: p.token });
  await api.as(p.token).post(`/v1/datasets/${other.datasetId}/data?format=csv`).set('Content-Type', 'text/csv').send(csvOf(OTHERS)).expect(201);
  daeguId = (await api.as(marketer).post('/v1/audiences', { name: 'Daegu', rule: 'homeAddress.city = "Daegu"', status: 'published' }).expect(201)).body.id;
  nobodyId = (await api.as(marketer).post('/v1/audiences', { name: 'Nobody', rule: 'homeAddress.city = "Atlantis"', status: 'published' }).expect(201)).body.id;
  await evaluate(daeguId);
  await evaluate(nobodyId);
}, 60_000);
afterAll(async () => {
  await api.close();
  await s3.stop();
});

const DAEGU = () => PEOPLE.filter((r) => r.city === 'Daegu');

describe('activation files', () => {
  it('gzip CSV in parts: each part is the encoder’s bytes for its rows, cut at row ends (not at quoted line feeds)', async () => {
    const { run, files } = await runTo({ compression: 'gzip', partRows: 4 }, {});
    const rows = await inFileOrder(DAEGU());
    expect(run.counts).toMatchObject({ received: 14, activated: 14, excludedMandatory: 0, excludedDuplicates: 0 });
    expect(run.files.map((f: { rows: number }) => f.rows)).toEqual([4, 4, 4, 2]);
    for (const [i, file] of files.entries()) expect(file).toBe(await encoded(rows.slice(i * 4, i * 4 + 4), {}));
    expect(files.join('')).toContain("\nF03,'=1+2,");
  });

  it('other delimiter, quote and null text; a mandatory attribute excludes rows', async () => {
    const settings = { delimiter: ';', quote: "'", nullOutput: 'NULL' };
    const { run, files } = await runTo(settings, { mandatoryFields: ['personalEmail.address'] });
    const kept = DAEGU().filter((r) => r.email !== null);
    expect(run.counts).toMatchObject({ received: 14, activated: kept.length, excludedMandatory: 14 - kept.length });
    // One difference, on purpose: a value equal to the null text is quoted, so that a reader can
    // tell it from a missing value (the encoder wrote both as NULL).
    const expected = (await encoded(await inFileOrder(kept), settings)).replace('\nF13;NULL;', "\nF13;'NULL';");
    expect(files).toEqual([expected]);
    const tabs = await runTo({ delimiter: '\t' }, {});
    expect(tabs.files).toEqual([await encoded(await inFileOrder(DAEGU()), { delimiter: '\t' })]);
  });

  it('JSON lines: one array per row, as JSON.stringify writes it', async () => {
    const { run, files } = await runTo({ format: 'jsonl', compression: 'gzip', partRows: 10 }, {});
    const rows = await inFileOrder(DAEGU());
    expect(run.files.map((f: { rows: number }) => f.rows)).toEqual([10, 4]);
    expect(files.join('')).toBe(await encoded(rows, { jsonl: true }));
  });

  it('a quote PostgreSQL cannot write keeps the row encoder', async () => {
    const { run, files } = await runTo({ quote: '«' }, {});
    expect(run.counts.activated).toBe(14);
    expect(files).toEqual([await encoded(await inFileOrder(DAEGU()), { quote: '«' })]);
  });

  it('a deduplication key: the first row of each key is written, the others counted as duplicates', async () => {
    const { run, files } = await runTo({}, { dedup: { fields: ['personalEmail.address'] } });
    // Every person without an email shares the null key: one of them is kept.
    const withEmail = DAEGU().filter((r) => r.email !== null);
    const ordered = await inFileOrder(DAEGU());
    const firstWithout = ordered.find((r) => r.email === null)!;
    const kept = await inFileOrder([...withEmail, firstWithout]);
    expect(run.counts).toMatchObject({ received: 14, activated: kept.length, excludedDuplicates: 14 - kept.length, excludedMandatory: 0 });
    expect(files).toEqual([await encoded(kept, {})]);
  });

  it('a snapshot of two namespaces: each file has the mapped one’s members only', async () => {
    const evaluation = (await api.as(marketer).get(`/v1/audiences/${daeguId}/evaluations`).expect(200)).body.items[0];
    expect(evaluation.counts?.members ?? evaluation.members).toBe(14 + OTHERS.length);
    const { run, files } = await runTo({}, { mapping: { identity: { namespace: other.namespaceCode, column: 'partner_id' }, attributes: [{ field: 'person.name.firstName', column: 'first name' }, { field: 'personalEmail.address', column: 'email' }] } });
    expect(run.counts).toMatchObject({ received: 3, activated: 3 });
    expect(files).toEqual([await encoded(await inFileOrder(OTHERS), {})]);
  });

  it('an empty audience gets a header-only file', async () => {
    const { run, files } = await runTo({ compression: 'gzip' }, {}, nobodyId);
    expect(run.counts).toMatchObject({ received: 0, activated: 0 });
    expect(run.files.map((f: { rows: number }) => f.rows)).toEqual([0]);
    expect(files).toEqual(['partner_id,first name,email\n']);
  });
});

describe('a COPY that stops half-way', () => {
  /** A writer keeping nothing, recording what was opened, published and aborted. */
  function memoryWriter() {
    const log: string[] = [];
    const writer: DestinationWriter = {
      test: async () => ({ ok: true, detail: 'memory', sample: [] }),
      exists: async () => false,
      abandon: async () => undefined,
      openPart: async (name) => {
        log.push(`open ${name}`);
        return {
          stream: new Writable({ write: (_c, _e, cb) => cb() }),
          commit: async (rows) => (log.push(`commit ${name} ${rows}`), { name, path: name, rows, bytes: 0 }),
          abort: async () => void log.push(`abort ${name}`),
        };
      },
      close: async () => undefined,
    };
    return { writer, log };
  }
  // The private writer, driven directly: a COPY far larger than the socket buffers is still running when it stops.
  const copyParts = (writer: DestinationWriter, sql: string) =>
    (api.runtime.services.activation as unknown as { files: { copyParts: (...a: unknown[]) => Promise<unknown> } }).files.copyParts(writer, 'big.csv', sql, { sql: 'select 1 as received', bindings: [] }, null, '"', 1000, true);
  const poolAnswers = () => Promise.all(Array.from({ length: 12 }, () => api.db.raw('select 1')));

  it('an injected crash aborts the part, closes the connection and leaves the pool usable', async () => {
    const { writer, log } = memoryWriter();
    api.runtime.services.activation.configure({ crashAfterRows: 500 });
    try {
      await expect(copyParts(writer, 'copy (select g::text from generate_series(1, 3000000) g) to stdout (format csv)')).rejects.toThrow(/injected crash after 500 rows of big\.csv/);
    } finally {
      api.runtime.services.activation.configure({ crashAfterRows: undefined });
    }
    expect(log).toEqual(['open big.csv', 'abort big.csv']);
    await poolAnswers();
  });

  it('an error of PostgreSQL mid-COPY fails the file the same way', async () => {
    const { writer, log } = memoryWriter();
    await expect(copyParts(writer, 'copy (select (1 / (200000 - g))::text from generate_series(1, 3000000) g) to stdout (format csv)')).rejects.toThrow(/division by zero/);
    expect(log.at(-1)).toMatch(/^abort big_\d+\.csv$/);
    await poolAnswers();
  });
});

describe('COPY helpers (pure and against PostgreSQL)', () => {
  it('the SQL neutralisation is neutraliseCell', async () => {
    const values = ['', 'x', 'a=b', '=', '+', '-', '@', '\t1', '\r1', '＝1', '＋1', '－1', '＠1', '-12.5', '+1', '1e5', '-1e+5', '.5', '-.5', '+.', '-1.', '1.2.3', '-1e', '－12', '-١٢', '-12\n', '+-1', '@@', '=HYPERLINK("x")'];
    const { rows } = await api.db.raw(`select v, ${neutralisedSql('v')} as n from unnest(?::text[]) with ordinality as t(v, i) order by i`, [values]);
    expect(rows.map((r: { n: string }) => r.n)).toEqual(values.map(neutraliseCell));
  });

  it('the row scanner counts rows outside quotes, across chunk boundaries, and stops at a row end', () => {
    const text = Buffer.from('a,"x\ny",1\n"""",b\n"a""\n",c\nplain\n');
    const ends = [10, 17, 26, 32]; // offsets after each row
    for (let cut = 0; cut <= text.length; cut++) {
      const scanner = new RowScanner('"');
      let rows = 0;
      for (const chunk of [text.subarray(0, cut), text.subarray(cut)]) rows += scanner.scan(chunk, 0, Infinity).rows;
      expect(rows).toBe(4);
    }
    const scanner = new RowScanner('"');
    expect(scanner.scan(text, 0, 2)).toEqual({ end: ends[1], rows: 2 });
    expect(scanner.scan(text, ends[1]!, 1)).toEqual({ end: ends[2], rows: 1 });
    expect(scanner.scan(text, ends[2]!, 5)).toEqual({ end: text.length, rows: 1 });
    expect(new RowScanner(null).scan(Buffer.from('["a\\"",null]\n["b"]\n'), 0, 5)).toEqual({ end: 19, rows: 2 });
  });
});
