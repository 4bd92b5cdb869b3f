/**
 * COPY text encoding (src/ingestion/copy-format.ts): the escaping rules in isolation, then a round
 * trip of awkward values through a real PostgreSQL table with pg-copy-streams.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ColumnType, copyEscape, CopyLineBatcher, copyTextLine, CopyTextStream, CopyValue, pgArrayLiteral } from '../src/ingestion/copy-format';
import { readRecords } from '../src/ingestion/records';
import { openTestDatabase } from './helpers/harness';

describe('copyTextLine', () => {
  it('separates with tabs, ends with a line feed and writes NULL as \\N', () => {
    expect(copyTextLine(['a', null, 3, undefined], ['string', 'string', 'integer', 'string'])).toBe('a\t\\N\t3\t\\N\n');
    expect(copyTextLine([], [])).toBe('\n');
  });

  it('escapes backslash, tab, line feed and carriage return, and nothing else', () => {
    expect(copyEscape('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyEscape('\\N')).toBe('\\\\N');
    expect(copyEscape('"quotes", commas; 세계 😀')).toBe('"quotes", commas; 세계 😀');
  });

  it('writes booleans as t/f and numbers as JavaScript prints them', () => {
    expect(copyTextLine([true, false, -0.5, 1e21, 9007199254740991], ['boolean', 'boolean', 'number', 'number', 'integer'])).toBe('t\tf\t-0.5\t1e+21\t9007199254740991\n');
  });

  it('writes string arrays as quoted array literals', () => {
    expect(pgArrayLiteral([])).toBe('{}');
    expect(pgArrayLiteral(['a', 'NULL', '', 'x,y', '{}', 'say "hi"', 'back\\slash'])).toBe('{"a","NULL","","x,y","{}","say \\"hi\\"","back\\\\slash"}');
    // …then COPY-escaped like any text: the backslashes double again.
    expect(copyTextLine([['q"', 'b\\', 't\tn\n']], ['string[]'])).toBe('{"q\\\\"","b\\\\\\\\","t\\tn\\n"}\n');
  });

  it('writes json values as JSON text, strings and arrays included', () => {
    expect(copyTextLine([{ a: 'x\ny' }, 'text', ['a'], 5], ['json', 'json', 'json', 'json'])).toBe('{"a":"x\\\\ny"}\t"text"\t["a"]\t5\n');
  });
});

describe('CopyLineBatcher', () => {
  it('hands out chunks of at least chunkBytes and keeps every byte in order', () => {
    const b = new CopyLineBatcher(100);
    const chunks: Buffer[] = [];
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} 세계\n`);
    for (const line of lines) {
      const c = b.add(line);
      if (c) chunks.push(c);
    }
    const last = b.flush();
    if (last) chunks.push(last);
    expect(b.flush()).toBeNull();
    expect(Buffer.concat(chunks).toString('utf8')).toBe(lines.join(''));
    for (const c of chunks.slice(0, -1)) expect(c.length).toBeGreaterThanOrEqual(100);
  });

  it('takes a line longer than a chunk', () => {
    const b = new CopyLineBatcher(16);
    const long = 'x'.repeat(200_000) + '\n';
    const first = b.add('short\n');
    const second = b.add(long);
    expect(first).toBeNull();
    expect(Buffer.concat([second!, b.flush() ?? Buffer.alloc(0)]).toString()).toBe('short\n' + long);
  });
});

// ---- round trip through PostgreSQL -------------------------------------------------------------

const TYPES: ColumnType[] = ['integer', 'string', 'integer', 'number', 'boolean', 'date', 'date-time', 'string[]', 'json'];
const TABLE = `create table copy_round_trip (
  id integer primary key, s text, i bigint, n double precision, b boolean, d date, ts timestamptz, arr text[], j jsonb
)`;
const SELECT = `select id, s, i, n, b, d::text as d, to_char(ts at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts, arr, j
  from copy_round_trip order by id`;

const AWKWARD = [
  'tab\there',
  'line\nfeed',
  'carriage\rreturn',
  'crlf\r\n',
  'back\\slash',
  '\\N',
  '\\',
  'ends with backslash\\',
  '\\t literal backslash-t',
  '"double" and \'single\' quotes',
  'commas, semicolons; pipes |',
  '{braces} [brackets]',
  'NULL',
  '',
  ' ',
  '한국어 텍스트 😀 é',
  '\u0001\u001f control',
  'x'.repeat(100_000),
];

function rowsOf(): CopyValue[][] {
  const rows: CopyValue[][] = AWKWARD.map((s, i) => [
    i + 1,
    s,
    i % 2 ? -9007199254740991 : 9007199254740991,
    i % 3 ? 0.1 + 0.2 : -1.5e-300,
    i % 2 === 0,
    i % 2 ? '0001-01-01' : '2024-02-29',
    i % 2 ? '2024-05-01T00:30:00.123456Z' : '1970-01-01T00:00:00.000Z',
    [s, 'plain', 'NULL', '', '"', '\\', ',', '{', '}'],
    { text: s, nested: { list: [s, 1, null, true] }, unicode: '\u2028' },
  ]);
  rows.push([AWKWARD.length + 1, null, null, null, null, null, null, null, null]);
  rows.push([AWKWARD.length + 2, 'empty array', 0, 0, false, '2024-01-01', '2024-01-01T00:00:00.000Z', [], []]);
  rows.push([AWKWARD.length + 3, 'json scalar', 1, 1, true, '2024-01-01', '2024-01-01T00:00:00.000Z', ['a'], 'just a string']);
  return rows;
}

/** What PostgreSQL gives back for a row written from `values`. */
function expected(values: CopyValue[]): unknown[] {
  const [id, s, i, n, b, d, ts, arr, j] = values;
  return [id, s, i === null ? null : String(i), n, b, d, ts === null ? null : (ts as string).replace(/\.(\d{3})Z$/, '.$1000Z'), arr, j];
}

describe('COPY round trip through PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof openTestDatabase>>;
  let client: PoolClient;

  beforeAll(async () => {
    database = await openTestDatabase();
    client = (await database.db.client.acquireConnection()) as PoolClient;
  });

  afterAll(async () => {
    await database.db.client.releaseConnection(client);
    await database.close();
  });

  beforeEach(async () => {
    await client.query('drop table if exists copy_round_trip');
    await client.query(TABLE);
  });

  async function readBack(): Promise<unknown[][]> {
    const { rows } = await client.query({ text: SELECT, rowMode: 'array' });
    return rows as unknown[][];
  }

  it('loads tabs, line breaks, backslashes, quotes, \\N-looking text, unicode, nulls and arrays back identical', async () => {
    const rows = rowsOf();
    const batcher = new CopyLineBatcher(4096); // small chunks: several writes to the COPY stream
    const chunks: Buffer[] = [];
    for (const values of rows) {
      const c = batcher.add(copyTextLine(values, TYPES));
      if (c) chunks.push(c);
    }
    chunks.push(batcher.flush()!);
    expect(chunks.length).toBeGreaterThan(2);
    await pipeline(Readable.from(chunks), client.query(copyFrom('copy copy_round_trip from stdin')));
    expect(await readBack()).toEqual(rows.map(expected));
  });

  it('streams rows through CopyTextStream', async () => {
    const rows = rowsOf();
    await pipeline(Readable.from(rows), new CopyTextStream(TYPES, 1024), client.query(copyFrom('copy copy_round_trip from stdin')));
    expect(await readBack()).toEqual(rows.map(expected));
  });

  it('loads what readRecords parsed from a CSV file, values unchanged', async () => {
    const csv = [
      'id,s,i,n,b,d,ts,arr,j',
      '1,"tab\there and ""quotes""",42,3.25,yes,2024-02-29,2024-05-01T09:30:00.5+09:00,"[""a\\\\b"",""c\\td""]","{""k"":""v\\nw""}"',
      '2,"multi\nline\\N",-1,-0.001,0,0001-01-01,1999-12-31T23:59:59Z,[],null',
      '3,,,,,,,,',
    ].join('\n');
    const reader = readRecords(Readable.from([Buffer.from(csv)]), {
      format: 'csv',
      columns: ['id', 's', 'i', 'n', 'b', 'd', 'ts', 'arr', 'j'].map((path, k) => ({ path, type: TYPES[k] })),
    });
    const parsed: CopyValue[][] = [];
    for await (const row of reader) {
      if (!row.ok) throw new Error(JSON.stringify(row.errors));
      parsed.push(row.values);
    }
    expect(parsed[0]).toEqual([1, 'tab\there and "quotes"', 42, 3.25, true, '2024-02-29', '2024-05-01T00:30:00.500Z', ['a\\b', 'c\td'], { k: 'v\nw' }]);
    await pipeline(Readable.from(parsed), new CopyTextStream(TYPES), client.query(copyFrom('copy copy_round_trip from stdin')));
    const back = await readBack();
    expect(back).toEqual(parsed.map(expected));
    expect(back[2]).toEqual([3, null, null, null, null, null, null, null, null]);
  });
});
