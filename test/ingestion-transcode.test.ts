/**
 * A CSV file read for a batch (src/ingestion/parse: splitter, parse threads, transcoder) gives the
 * very bytes and row errors the record reader gives for it (src/ingestion/records: rows, then
 * copyTextLine) — whatever the file holds and however it is cut: quotes, line breaks, blank lines,
 * invalid UTF-8, NULs, oversized records, every cell kind, values that convert and values that do
 * not, schemas checked field by field and schemas that need the whole record.
 */
import { Readable } from 'node:stream';
import { compileRecordValidator } from '../src/schemas/validator';
import { copyEscape, copyTextLine } from '../src/ingestion/copy-format';
import { ColumnSpec, columnPlans, CopyTarget, recordValidate, SchemaSpec } from '../src/ingestion/parse/block';
import { CopyBlockReader } from '../src/ingestion/parse/copy-blocks';
import { fieldSchemas } from '../src/ingestion/parse/leaves';
import { ParsePool } from '../src/ingestion/parse/pool';
import { CopyTranscoder } from '../src/ingestion/parse/transcode';
import { readRecords, RowError } from '../src/ingestion/records';
import { prng } from '../src/demo/generate';
import { eventually } from './helpers/poll';
import { chunked } from './helpers/records';

const COLUMNS: ColumnSpec[] = [
  { path: 'pid', type: 'string', identity: { code: 'acme', type: 'partner_id' }, required: true },
  { path: 'name', type: 'string' },
  { path: 'person.gender', type: 'string' },
  { path: 'person.age', type: 'integer', minimum: -32768, maximum: 32768 },
  { path: 'email', type: 'string', identity: { code: 'Email', type: 'email' } },
  { path: 'income', type: 'number' },
  { path: 'optIn', type: 'boolean' },
  { path: 'birthDate', type: 'date' },
  { path: 'seenAt', type: 'date-time' },
  { path: 'tags', type: 'string[]' },
  { path: 'extra', type: 'json' },
  { path: 'country', type: 'string' },
  { path: 'labels', type: 'string[]' },
];
const KINDS = COLUMNS.map((c) => c.type);
const TARGET: CopyTarget = { fileIndex: 3, identityIndex: 0, kinds: KINDS };

function schemaOf(topLevel: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    ...topLevel,
    properties: {
      pid: { type: 'string', title: 'Partner id' },
      name: { type: 'string', maxLength: 12 },
      person: {
        type: 'object',
        additionalProperties: false,
        properties: { gender: { type: 'string', enum: ['female', 'male'] }, age: { type: 'integer', minimum: 0, maximum: 150 } },
      },
      email: { type: 'string', format: 'email' },
      income: { type: 'number', minimum: 0 },
      optIn: { type: 'boolean' },
      birthDate: { type: 'string', format: 'date' },
      seenAt: { type: 'string', format: 'date-time' },
      tags: { type: 'array', items: { type: 'string', maxLength: 8 } },
      extra: { type: 'object' },
      country: { type: 'string', minLength: 2, maxLength: 2 },
      labels: { type: 'array', title: 'Labels', items: { type: 'string' } },
    },
  };
}

const HEADER = ['pid', 'name', 'person.gender', 'person.age', 'email', 'income', 'optIn', 'birthDate', 'seenAt', 'tags', 'extra', 'country', 'labels'];

/** Cells a partner file holds, good and bad, per column (index as HEADER); quoting is decided later. */
const CELLS: string[][] = [
  ['ACME-1', ' acme-2 ', '', '   ', 'ACME-\u00003', 'ACME,4', 'A"5', '홍길동-6'],
  ['Kim', '김민지', '', ' ', 'a\tb', 'back\\slash', 'line\nbreak', 'cr\rhere', 'say "hi"', 'x'.repeat(13), 'nul\u0000', '\\N'],
  ['female', 'male', '', 'other', 'Female', '  '],
  ['42', '0', '007', '+5', '-3', '151', '1.5', '99999999999999999', ' 12 ', '', 'abc', '32768'],
  ['a@example.com', ' B@Example.COM ', '', 'not-an-email', '홍@example.com'],
  ['88661202', '0', '0.5', '1e3', '-1', '01', '', 'NaN', '123456789012345678'],
  ['true', 'false', '1', '0', 'yes', 'NO', 'TRUE', '', 'maybe'],
  ['2024-02-29', '2023-02-29', '0000-01-01', '2026-13-01', '', '2026-7-1', ' 2026-07-01 '],
  ['2024-05-01T09:30:00.5+09:00', '1999-12-31T23:59:59Z', '2024-05-01 09:30', '', 'yesterday'],
  ['["a","b"]', '[]', '["toolongvalue"]', '[1]', '', 'not json'],
  ['{"k":"v"}', '[1,2]', '"text"', '', '{bad'],
  ['KR', 'kr', 'KOR', '', '한국'],
  // A bare list (no item rules): its plainest JSON spelling is copied from the bytes, any other converted.
  ['["a","b"]', '["서울","x y"]', '[]', '[""]', '["a\\"b"]', '[ "a" ]', '["a",]', '["\\u0041"]', '[null]', '["tab\there"]', ' ["a"] ', '["a"]x', '[1]', '["a","b"', '[', ']', '["a""b"]', '["a"],', 'plain', '["\\\\"]', '["é","한","🙂"]'],
];

function csvCell(v: string, rand: () => number): string {
  const must = /[",\r\n]/.test(v);
  if (!must && rand() < 0.8) return v;
  return `"${v.replaceAll('"', '""')}"`;
}

/** A file of `rows` records with the hazards of real partner files mixed in. */
function corpus(seed: number, rows: number, crlf: boolean): Buffer {
  const rand = prng(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const eol = crlf ? '\r\n' : '\n';
  const parts: Buffer[] = [Buffer.from((rand() < 0.3 ? '\ufeff' : '') + HEADER.join(',') + eol)];
  for (let r = 0; r < rows; r++) {
    const hazard = rand();
    if (hazard < 0.03) {
      parts.push(Buffer.from(eol)); // a blank line
      continue;
    }
    // Mostly the first two (good) cells of a column, sometimes any: a fair share of rows is all good.
    let fields = HEADER.map((_h, k) => csvCell(k === 0 && rand() < 0.9 ? `ACME-${r}` : rand() < 0.95 ? CELLS[k][Math.floor(rand() * 2)] : pick(CELLS[k]), rand));
    if (hazard < 0.05) fields = fields.slice(0, 5); // too few fields
    else if (hazard < 0.06) fields[1] = '"closed"after'; // text after a closing quote
    else if (hazard < 0.07) fields[1] = 'q'.repeat(3000); // longer than maxRecordBytes
    let line = Buffer.from(fields.join(',') + eol);
    if (hazard > 0.99) line = Buffer.concat([line.subarray(0, 10), Buffer.from([0xff, 0xfe]), line.subarray(10)]); // invalid UTF-8
    parts.push(line);
  }
  if (rand() < 0.5) parts.push(Buffer.from(`ACME-last,no terminator,female,1`)); // the last record unterminated (few fields)
  return Buffer.concat(parts);
}

interface Outcome {
  copy: string;
  errors: RowError[][];
  input: number;
  ok: number;
  failed: number;
}

const MAX_RECORD = 2048;

/** The reference: the record reader's rows (read in the same chunks), written as a batch wrote them before. */
async function reference(file: Buffer, schema: Record<string, unknown>, chunk?: number): Promise<Outcome> {
  const reader = readRecords(chunked(file, chunk), { format: 'csv', columns: columnPlans(COLUMNS), validate: recordValidate(compileRecordValidator(schema)), maxRecordBytes: MAX_RECORD });
  const out: Outcome = { copy: '', errors: [], input: 0, ok: 0, failed: 0 };
  for await (const row of reader) {
    out.input++;
    if (!row.ok) {
      out.failed++;
      out.errors.push(row.errors);
      continue;
    }
    out.ok++;
    out.copy += copyTextLine(row.values, KINDS, `${TARGET.fileIndex}\t${row.row}\t`, `\t${copyEscape(row.values[0] as string)}`);
  }
  return out;
}

async function throughBlocks(input: Readable, schema: Record<string, unknown>, pool: ParsePool, id: string): Promise<Outcome> {
  const spec: SchemaSpec = { hash: JSON.stringify(schema).length.toString(36) + id, json: schema };
  const reader = new CopyBlockReader(input, { id, format: 'csv', columns: COLUMNS, schema: spec, target: TARGET, maxRecordBytes: MAX_RECORD }, pool);
  const out: Outcome = { copy: '', errors: [], input: 0, ok: 0, failed: 0 };
  for await (const b of reader.blocks()) {
    out.copy += b.chunks.map((c) => c.toString('utf8')).join('');
    out.errors.push(...b.errors);
    out.input += b.input;
    out.ok += b.ok;
    out.failed += b.failed;
  }
  return out;
}

/** Counts the rows the transcoder writes itself (not through the record reader). */
function countTranscoded(): { rows: number; restore: () => void } {
  const proto = CopyTranscoder.prototype as unknown as { transcode: (...args: unknown[]) => boolean };
  const original = proto.transcode;
  const counter = { rows: 0, restore: () => (proto.transcode = original) };
  proto.transcode = function (this: unknown, ...args: unknown[]) {
    const written = original.apply(this, args);
    if (written) counter.rows++;
    return written;
  };
  return counter;
}

let threads: ParsePool;
const inline = new ParsePool(0);
beforeAll(() => {
  threads = new ParsePool(2);
});
afterAll(async () => {
  await threads.close();
});

it('checks the corpus schema field by field, and a schema with required fields by whole records', () => {
  const fields = fieldSchemas(schemaOf(), COLUMNS)!;
  expect(fields.map((f) => f !== null)).toEqual([false, true, true, true, true, true, false, false, true, true, true, true, false]);
  expect(fieldSchemas(schemaOf({ required: ['pid'] }), COLUMNS)).toBeNull();
  expect(fieldSchemas(schemaOf({ anyOf: [{ required: ['pid'] }] }), COLUMNS)).toBeNull();
});

describe.each([
  ['field by field', schemaOf()],
  ['by whole records', schemaOf({ required: ['pid'] })],
])('a schema checked %s', (_what, schema) => {
  it.each([
    [1, false, undefined],
    [2, true, 7],
    [3, false, 1000],
    [4, true, 64 * 1024],
  ])('corpus %i (CRLF %s, chunks of %s bytes): same COPY text, errors and counts, inline and on threads', async (seed, crlf, chunk) => {
    const file = corpus(seed, 1500, crlf);
    const expected = await reference(file, schema, chunk);
    expect(expected.failed).toBeGreaterThan(100); // the corpus exercises errors…
    expect(expected.ok).toBeGreaterThan(100); // …and good rows
    for (const [name, pool] of [
      ['inline', inline],
      ['threads', threads],
    ] as const) {
      const got = await throughBlocks(chunked(file, chunk), schema, pool, `${name}-${seed}`);
      expect({ ...got, copy: undefined }).toEqual({ ...expected, copy: undefined });
      expect(got.copy).toBe(expected.copy);
    }
    // Inline, the transcoder's own way is seen: it writes most good rows when it can check fields.
    const fast = countTranscoded();
    await throughBlocks(chunked(file, chunk), schema, inline, `count-${seed}`);
    if (fieldSchemas(schema, COLUMNS)) expect(fast.rows).toBeGreaterThan(expected.ok * 0.5);
    else expect(fast.rows).toBe(0);
    fast.restore();
  }, 60_000);
});

it('numbers rows across blocks cut anywhere: a quoted line break, a CR LF split, records of any size', async () => {
  const rows = ['pid,name', 'ACME-1,"two\nlines"', 'ACME-2,plain\r', '', 'ACME-3,' + 'x'.repeat(70_000), 'ACME-4,last'];
  const file = Buffer.from(rows.join('\n') + '\n');
  const schema = schemaOf();
  const columns = COLUMNS.slice(0, 2);
  const target: CopyTarget = { fileIndex: 1, identityIndex: 0, kinds: ['string', 'string'] };
  for (const size of [1, 3, 64 * 1024]) {
    const reader = new CopyBlockReader(chunked(file, size), { id: `cut-${size}`, format: 'csv', columns, schema: { hash: 'cut', json: schema }, target }, threads);
    let copy = '';
    const errors: RowError[][] = [];
    for await (const b of reader.blocks()) {
      copy += b.chunks.map((c) => c.toString()).join('');
      errors.push(...b.errors);
    }
    expect(copy).toBe('1\t1\tACME-1\ttwo\\nlines\tACME-1\n1\t2\tACME-2\tplain\tACME-2\n1\t4\tACME-4\tlast\tACME-4\n');
    expect(errors).toHaveLength(1);
    expect(errors[0][0]).toMatchObject({ row: 3, field: 'name', rule: 'maxLength' });
  }
});

it('fails the blocks a dying parse thread held, not the process, and the next block gets a new thread', async () => {
  const pool = new ParsePool(1);
  try {
    const columns = COLUMNS.slice(0, 2);
    const spec = { id: 'dies', format: {}, columns, headerColumns: [0, 1], schema: null, target: { fileIndex: 1, identityIndex: 0, kinds: ['string', 'string'] } } as const;
    const rows = 20_000;
    const block = () => Buffer.from(Array.from({ length: rows }, (_v, i) => `ACME-${i},name ${i}\n`).join(''));
    const held = pool.read({ ...spec, headerColumns: [0, 1], columns, target: { ...spec.target, kinds: ['string', 'string'] } }, block(), 1, rows);
    const [thread] = (pool as unknown as { threads: { worker: { terminate(): Promise<number> } }[] }).threads;
    await thread.worker.terminate();
    await expect(held).rejects.toThrow(/parse thread stopped/);
    const next = await pool.read({ ...spec, headerColumns: [0, 1], columns, target: { ...spec.target, kinds: ['string', 'string'] } }, block(), 1, rows);
    expect(next).toMatchObject({ input: rows, ok: rows, failed: 0 });
    expect(next.chunks.map((c) => c.toString()).join('').split('\n')[1]).toBe('1\t2\tACME-1\tname 1\tACME-1');
  } finally {
    await pool.close();
  }
});

it('stops a thread that has had nothing to do for a while, and starts one again for the next block', async () => {
  const pool = new ParsePool(1, 200);
  const running = () => (pool as unknown as { threads: unknown[] }).threads.length;
  try {
    const columns = COLUMNS.slice(0, 2);
    const spec = { id: 'idle', format: {}, columns, headerColumns: [0, 1], schema: null, target: { fileIndex: 1, identityIndex: 0, kinds: ['string', 'string'] as ColumnSpec['type'][] } };
    const block = () => Buffer.from('ACME-1,a\nACME-2,b\n');
    await expect(pool.read(spec, block(), 1, 2)).resolves.toMatchObject({ ok: 2 });
    expect(running()).toBe(1);
    await eventually(async () => running() === 0, 'the idle thread to stop');
    await expect(pool.read(spec, block(), 1, 2)).resolves.toMatchObject({ ok: 2, input: 2 });
  } finally {
    await pool.close();
  }
});
