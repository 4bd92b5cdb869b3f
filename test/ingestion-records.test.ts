/**
 * The streaming ingestion core (src/ingestion/records/) against a corpus of bad partner files:
 * every problem must come out as a precise row error or FileError, never a crash, and the result
 * must not depend on how the bytes were chunked.
 */
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import {
  ColumnPlan,
  FileError,
  ParsedRow,
  ReadOptions,
  readRecords,
  RowError,
} from '../src/ingestion/records';
import { normalizeDeviceId, normalizeEmail, normalizePartnerId, normalizePhone } from '../src/namespaces/identity';
import { compileRecordValidator, recordErrors } from '../src/schemas/validator';

// ---- helpers ---------------------------------------------------------------------------------

/** The bytes as a stream of chunks of `size` bytes (default: one chunk). */
function chunked(data: Buffer | string, size?: number): Readable {
  const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const parts: Buffer[] = [];
  if (!size) parts.push(b);
  else for (let i = 0; i < b.length; i += size) parts.push(b.subarray(i, i + size));
  return Readable.from(parts);
}

interface Result {
  rows: ParsedRow[];
  stats: { inputRows: number; okRows: number; errorRows: number; bytesRead: number };
}

async function read(data: Buffer | string | Readable, opts: Partial<ReadOptions> & { columns: ColumnPlan[] }, size?: number): Promise<Result> {
  const input = data instanceof Readable ? data : chunked(data, size);
  const reader = readRecords(input, { format: 'csv', ...opts });
  const rows: ParsedRow[] = [];
  for await (const row of reader) rows.push(row);
  return { rows, stats: reader.stats };
}

async function fileError(data: Buffer | string | Readable, opts: Partial<ReadOptions> & { columns: ColumnPlan[] }, size?: number): Promise<FileError> {
  try {
    await read(data, opts, size);
  } catch (err) {
    expect(err).toBeInstanceOf(FileError);
    return err as FileError;
  }
  throw new Error('expected a FileError');
}

const values = (r: Result) => r.rows.map((row) => (row.ok ? row.values : null));
const errors = (r: Result): RowError[] => r.rows.flatMap((row) => (row.ok ? [] : row.errors));
/** The only error of row `n`. */
function errorOf(r: Result, n: number): RowError {
  const row = r.rows.find((x) => x.row === n);
  if (!row || row.ok) throw new Error(`row ${n} has no error: ${JSON.stringify(row)}`);
  expect(row.errors).toHaveLength(1);
  return row.errors[0];
}

const S = (path: string, extra: Partial<ColumnPlan> = {}): ColumnPlan => ({ path, type: 'string', ...extra });
const BASIC: ColumnPlan[] = [S('id', { required: true }), S('name'), { path: 'age', type: 'integer' }];

// ---- CSV structure ---------------------------------------------------------------------------

describe('CSV structure', () => {
  it('reads a header and typed rows; row numbers exclude the header', async () => {
    const r = await read('id,name,age\nA1,Kim,41\nA2,Lee,\n', { columns: BASIC });
    expect(r.rows).toEqual([
      { row: 1, ok: true, values: ['A1', 'Kim', 41] },
      { row: 2, ok: true, values: ['A2', 'Lee', null] },
    ]);
    expect(r.stats).toMatchObject({ inputRows: 2, okRows: 2, errorRows: 0, bytesRead: 30 });
  });

  it('puts values in column order whatever the header order, and leaves absent columns null', async () => {
    const r = await read('age,id\n7,X\n', { columns: BASIC });
    expect(values(r)).toEqual([['X', null, 7]]);
  });

  it('tolerates a UTF-8 BOM, CRLF, a lone CR and a missing final line break', async () => {
    const lf = await read('id,name\nA,b\nC,d\n', { columns: BASIC });
    for (const text of ['\uFEFFid,name\r\nA,b\r\nC,d\r\n', 'id,name\rA,b\rC,d', '\uFEFFid,name\nA,b\nC,d']) {
      expect((await read(text, { columns: BASIC })).rows).toEqual(lf.rows);
    }
  });

  it('skips blank lines without counting them', async () => {
    const r = await read('id,name\n\nA,b\n\r\n\nC,d\n\n', { columns: BASIC });
    expect(r.rows.map((x) => x.row)).toEqual([1, 2]);
    expect(r.stats.inputRows).toBe(2);
  });

  it.each([
    [';', 'id;name\nA;b,c\n', ['A', 'b,c', null]],
    ['\t', 'id\tname\nA\tb;c\n', ['A', 'b;c', null]],
    ['|', 'id|name\nA|"b|c"\n', ['A', 'b|c', null]],
  ])('takes %j as the delimiter', async (delimiter, text, expected) => {
    expect(values(await read(text, { columns: BASIC, delimiter }))).toEqual([expected]);
  });

  it('reads quoted fields with delimiters, line breaks and doubled quotes', async () => {
    const text = 'id,name\n"A,1","line one\nline two"\n"B","say ""hi"""\n"C",""\n';
    const r = await read(text, { columns: BASIC });
    expect(values(r)).toEqual([
      ['A,1', 'line one\nline two', null],
      ['B', 'say "hi"', null],
      ['C', null, null],
    ]);
    expect(r.rows.map((x) => x.row)).toEqual([1, 2, 3]);
  });

  it('keeps CRLF inside a quoted field as written', async () => {
    expect(values(await read('id,name\r\nA,"x\r\ny"\r\n', { columns: BASIC }))).toEqual([['A', 'x\r\ny', null]]);
  });

  it('takes another quote character', async () => {
    expect(values(await read("id,name\nA,'b,c'\nB,'it''s'\n", { columns: BASIC, quote: "'" }))).toEqual([
      ['A', 'b,c', null],
      ['B', "it's", null],
    ]);
  });

  it('keeps a quote inside an unquoted field as a character', async () => {
    expect(values(await read('id,name\nA,5" screen\n', { columns: BASIC }))).toEqual([['A', '5" screen', null]]);
  });

  it('reports text after a closing quote as row error quote', async () => {
    const r = await read('id,name\nA,"ab"c\nB,ok\n', { columns: BASIC });
    expect(errorOf(r, 1)).toMatchObject({ row: 1, field: 'name', rule: 'quote', rawValue: '"ab"c' });
    expect(values(r)[1]).toEqual(['B', 'ok', null]);
  });

  it('reports a ragged row as column_count with the raw record, and carries on', async () => {
    const r = await read('id,name,age\nA,b,1\nB,c\nC,d,2,extra\nD,e,3\n', { columns: BASIC });
    expect(r.rows.map((x) => x.ok)).toEqual([true, false, false, true]);
    expect(errorOf(r, 2)).toEqual({
      row: 2,
      field: null,
      rule: 'column_count',
      message: expect.stringMatching(/has 2 fields but the header has 3/),
      rawValue: 'B,c',
    });
    expect(errorOf(r, 3)).toMatchObject({ rule: 'column_count', rawValue: 'C,d,2,extra' });
    expect(r.stats).toMatchObject({ inputRows: 4, okRows: 2, errorRows: 2 });
  });

  it('fails the file on a quote that is never closed, naming the line it opened on', async () => {
    const e = await fileError('id,name\nA,ok\nB,"never\nclosed\nC,x\n', { columns: BASIC });
    expect(e.rule).toBe('csv_malformed');
    expect(e.message).toMatch(/line 3/);
    expect(e.details).toEqual({ line: 3 });
  });

  it('names the file in FileError messages', async () => {
    const e = await fileError('', { columns: BASIC, fileName: 'partner.csv' });
    expect(e.message).toMatch(/^partner\.csv: /);
  });

  it.each([
    ['no bytes', ''],
    ['a BOM only', '\uFEFF'],
    ['blank lines only', '\n\r\n\n'],
  ])('fails an empty file (%s) with rule empty', async (_what, text) => {
    expect((await fileError(text, { columns: BASIC })).rule).toBe('empty');
  });

  it('reads a header without data rows as zero rows', async () => {
    const r = await read('id,name\n', { columns: BASIC });
    expect(r.rows).toEqual([]);
    expect(r.stats.inputRows).toBe(0);
  });

  it('fails the file on duplicate header names', async () => {
    const e = await fileError('id,name,name\nA,b,c\n', { columns: BASIC });
    expect(e.rule).toBe('duplicate_column');
    expect(e.message).toMatch(/"name"/);
  });

  it('fails the file on unknown columns, naming them and the valid field paths', async () => {
    const e = await fileError('id,nickname,shoe size\nA,b,42\n', { columns: BASIC });
    expect(e.rule).toBe('unknown_column');
    expect(e.message).toMatch(/"nickname", "shoe size"/);
    expect(e.message).toMatch(/Valid field paths: id, name, age/);
    expect(e.details).toEqual({ unknownColumns: ['nickname', 'shoe size'], validFields: ['id', 'name', 'age'] });
  });

  it('hints at the delimiter when the header is one unknown column holding another delimiter', async () => {
    const e = await fileError('id;name\nA;b\n', { columns: BASIC });
    expect(e.rule).toBe('unknown_column');
    expect(e.message).toMatch(/set the delimiter to ";"/);
  });

  it('matches header names case-sensitively and trims the spaces around them', async () => {
    expect(values(await read(' id , name \nA,b\n', { columns: BASIC }))).toEqual([['A', 'b', null]]);
    expect((await fileError('ID\nA\n', { columns: BASIC })).rule).toBe('unknown_column');
  });

  it('refuses a delimiter or quote that is not one ASCII character', async () => {
    expect((await fileError('id\nA\n', { columns: BASIC, delimiter: '::' })).rule).toBe('format');
    expect((await fileError('id\nA\n', { columns: BASIC, delimiter: '\n' })).rule).toBe('format');
    expect((await fileError('id\nA\n', { columns: BASIC, quote: '«' })).rule).toBe('format');
    expect((await fileError('id\nA\n', { columns: BASIC, delimiter: '"' })).rule).toBe('format');
    expect((await fileError('id\nA\n', { columns: BASIC, format: 'parquet' as 'csv' })).rule).toBe('format');
  });
});

describe('mapping', () => {
  it('maps header names to field paths and keeps unmapped headers that equal a path', async () => {
    const r = await read('customer_no,name,years\nA,b,3\n', { columns: BASIC, mapping: { customer_no: 'id', years: 'age' } });
    expect(values(r)).toEqual([['A', 'b', 3]]);
  });

  it("ignores a header mapped to ''", async () => {
    expect(values(await read('id,internal_note\nA,xyz\n', { columns: BASIC, mapping: { internal_note: '' } }))).toEqual([['A', null, null]]);
  });

  it('fails the file when a mapping names a field that does not exist', async () => {
    const e = await fileError('id\nA\n', { columns: BASIC, mapping: { x: 'nope.field' } });
    expect(e.rule).toBe('mapping');
    expect(e.message).toMatch(/x → nope\.field/);
  });

  it('fails the file when two headers land on the same field', async () => {
    const e = await fileError('id,customer_no\nA,B\n', { columns: BASIC, mapping: { customer_no: 'id' } });
    expect(e.rule).toBe('duplicate_column');
    expect(e.message).toMatch(/"id" and "customer_no" both map to id/);
  });
});

// ---- values --------------------------------------------------------------------------------

describe('CSV value conversion', () => {
  /** One cell in column v (next to a key column, so an empty cell is not a blank line). */
  const one = async (plan: ColumnPlan, cell: string) => {
    const text = `k,v\nx,${/[",\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell}\n`;
    const r = await read(text, { columns: [S('k'), { ...plan, path: 'v' }] });
    const row = r.rows[0];
    return row.ok ? { value: row.values[1] } : { error: row.errors[0] };
  };

  it.each<[ColumnPlan['type'], string, unknown]>([
    ['string', '  spaced  ', '  spaced  '],
    ['string', 'héllo 세계 😀', 'héllo 세계 😀'],
    ['string', '', null],
    ['integer', '42', 42],
    ['integer', ' -7 ', -7],
    ['integer', '+007', 7],
    ['integer', '9007199254740991', 9007199254740991],
    ['integer', '   ', null],
    ['number', '3.14', 3.14],
    ['number', '-2.5e3', -2500],
    ['number', '.5', 0.5],
    ['number', '10', 10],
    ['boolean', 'true', true],
    ['boolean', 'FALSE', false],
    ['boolean', 'Yes', true],
    ['boolean', 'no', false],
    ['boolean', '1', true],
    ['boolean', ' 0 ', false],
    ['date', '2024-02-29', '2024-02-29'],
    ['date', '0001-01-01', '0001-01-01'],
    ['date-time', '2024-05-01T09:30:00+09:00', '2024-05-01T00:30:00.000Z'],
    ['date-time', '2024-05-01T09:30:00Z', '2024-05-01T09:30:00.000Z'],
    ['date-time', '2024-05-01 09:30:00.5z', '2024-05-01T09:30:00.500Z'],
    ['date-time', '2024-05-01T09:30+0900', '2024-05-01T00:30:00.000Z'],
    ['date-time', '2024-01-01T01:00:00+09:00', '2023-12-31T16:00:00.000Z'],
    ['date-time', '2024-02-28T20:00:00-05:00', '2024-02-29T01:00:00.000Z'],
    ['date-time', '2024-12-31T23:30:00-01:00', '2025-01-01T00:30:00.000Z'],
    ['date-time', '2024-05-01T09:30:00.123456789Z', '2024-05-01T09:30:00.123456Z'],
    ['date-time', '2024-05-01T09:30:00,25+00:00', '2024-05-01T09:30:00.250Z'],
    ['string[]', '["a","b, c"]', ['a', 'b, c']],
    ['string[]', '[]', []],
    ['json', '{"a":[1,2],"b":null}', { a: [1, 2], b: null }],
    ['json', '"text"', 'text'],
  ])('%s %j → %j', async (type, cell, expected) => {
    expect(await one({ path: 'v', type }, cell)).toEqual({ value: expected });
  });

  it.each<[ColumnPlan['type'], string, string]>([
    ['integer', '4.2', 'integer'],
    ['integer', 'abc', 'integer'],
    ['integer', '1e3', 'integer'],
    ['integer', '1,000', 'integer'],
    ['integer', '0x10', 'integer'],
    ['integer', '9007199254740993', 'range'],
    ['number', '1,5', 'number'],
    ['number', '0x10', 'number'],
    ['number', 'Infinity', 'number'],
    ['number', 'NaN', 'number'],
    ['number', '1e400', 'number'],
    ['number', '1.2.3', 'number'],
    ['boolean', 'maybe', 'boolean'],
    ['boolean', 'y', 'boolean'],
    ['boolean', 'truely', 'boolean'],
    ['date', '2023-02-29', 'date'],
    ['date', '2024-13-01', 'date'],
    ['date', '2024-04-31', 'date'],
    ['date', '0000-01-01', 'date'],
    ['date', '24-01-01', 'date'],
    ['date', '2024/01/01', 'date'],
    ['date', '2024-01-01T00:00:00Z', 'date'],
    ['date-time', '2024-05-01T09:30:00', 'date-time'],
    ['date-time', '2024-05-01', 'date-time'],
    ['date-time', '2024-02-30T00:00:00Z', 'date-time'],
    ['date-time', '2024-05-01T24:00:00Z', 'date-time'],
    ['date-time', '2024-05-01T09:60:00Z', 'date-time'],
    ['date-time', '2024-05-01T09:30:00+25:00', 'date-time'],
    ['date-time', '2024-05-01T09:30:00Zjunk', 'date-time'],
    ['date-time', 'May 1, 2024', 'date-time'],
    ['date-time', '9999-12-31T23:30:00-01:00', 'date-time'],
    ['string[]', 'a|b', 'array'],
    ['string[]', '["a",1]', 'array'],
    ['string[]', '{"a":1}', 'array'],
    ['string[]', '["a",null]', 'array'],
    ['json', '{a:1}', 'json'],
    ['string', 'nul\u0000inside', 'nul_character'],
    ['json', '{"a":"\\u0000"}', 'nul_character'],
  ])('%s %j → rule %s', async (type, cell, rule) => {
    const r = await one({ path: 'v', type }, cell);
    expect(r).toEqual({ error: { row: 1, field: 'v', rule, message: expect.any(String), rawValue: cell } });
    expect(r.error!.message.length).toBeGreaterThan(20);
  });

  it('enforces minimum and maximum', async () => {
    const byte: ColumnPlan = { path: 'v', type: 'integer', minimum: -128, maximum: 127 };
    expect(await one(byte, '127')).toEqual({ value: 127 });
    expect((await one(byte, '128')).error).toMatchObject({ rule: 'range', message: expect.stringMatching(/-128 to 127/) });
    expect((await one(byte, '-129')).error).toMatchObject({ rule: 'range' });
    expect((await one({ path: 'v', type: 'number', minimum: 0 }, '-0.5')).error).toMatchObject({ rule: 'range', message: 'Out of range: v takes numbers of at least 0' });
  });

  it('explains what to write in the messages', async () => {
    expect((await one({ path: 'v', type: 'boolean' }, 'maybe')).error!.message).toMatch(/true\/false, 1\/0 or yes\/no/);
    expect((await one({ path: 'v', type: 'date-time' }, '2024-05-01T09:30:00')).error!.message).toMatch(/timezone/);
    expect((await one({ path: 'v', type: 'string[]' }, 'a|b')).error!.message).toMatch(/\["a","b"\]/);
  });

  it('reports every failing field of a row, not just the first', async () => {
    const r = await read('id,name,age\n,Kim,old\n', { columns: BASIC });
    expect(r.rows[0]).toEqual({
      row: 1,
      ok: false,
      errors: [
        { row: 1, field: 'age', rule: 'integer', message: expect.any(String), rawValue: 'old' },
        { row: 1, field: 'id', rule: 'required', message: 'Missing value: fill in id, every record needs it', rawValue: null },
      ],
    });
  });

  it('reports a required column missing from the header on every row', async () => {
    const r = await read('name\nKim\nLee\n', { columns: BASIC });
    expect(errors(r).map((e) => [e.row, e.field, e.rule])).toEqual([
      [1, 'id', 'required'],
      [2, 'id', 'required'],
    ]);
  });

  it('cuts raw values to 1000 characters', async () => {
    const long = 'x'.repeat(5000);
    const e = (await one({ path: 'v', type: 'integer' }, long)).error!;
    expect(e.rawValue).toBe('x'.repeat(1000));
  });
});

describe('identities through the real normalisers', () => {
  const columns: ColumnPlan[] = [
    S('partnerID', { normalize: normalizePartnerId, required: true }),
    S('phone', { normalize: normalizePhone }),
    S('email', { normalize: normalizeEmail }),
    S('gaid', { normalize: normalizeDeviceId }),
  ];

  it('normalises valid identifiers', async () => {
    const r = await read('partnerID,phone,email,gaid\n  P-1 ,010-1234-5678, Kim@Example.COM ,3F1B2C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D\n', { columns });
    expect(values(r)).toEqual([['P-1', '+821012345678', 'kim@example.com', '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d']]);
  });

  it('reports invalid ones with the normaliser rule and message and the raw cell', async () => {
    const text = ['partnerID,phone,email,gaid', 'P1,12,a@b,', 'P2,,not an email,00000000-0000-0000-0000-000000000000', 'P3,,,3f1b2c4d5e6f4a7b8c9d0e1f2a3b4c5d'].join('\n');
    const r = await read(text, { columns });
    expect(errors(r).map((e) => [e.row, e.field, e.rule, e.rawValue])).toEqual([
      [1, 'phone', 'phone', '12'],
      [1, 'email', 'email', 'a@b'],
      [2, 'email', 'email', 'not an email'],
      [2, 'gaid', 'device_id', '00000000-0000-0000-0000-000000000000'],
      [3, 'gaid', 'device_id', '3f1b2c4d5e6f4a7b8c9d0e1f2a3b4c5d'],
    ]);
    expect(errors(r)[0].message).toBe((normalizePhone('12') as { message: string }).message);
  });

  it('treats a blank identity cell as missing (required → required)', async () => {
    const r = await read('partnerID,phone\n   ,\n', { columns });
    expect(errors(r)).toEqual([{ row: 1, field: 'partnerID', rule: 'required', message: expect.any(String), rawValue: null }]);
  });
});

// ---- encoding ------------------------------------------------------------------------------

describe('UTF-8', () => {
  const columns = [S('id'), S('name'), S('city')];

  it('flags a field with invalid bytes as encoding, naming the field, and keeps the other rows', async () => {
    const bytes = Buffer.concat([Buffer.from('id,name,city\nA,'), Buffer.from([0x4b, 0xff, 0x6d]), Buffer.from(',Seoul\nB,Lee,Busan\n')]);
    const r = await read(bytes, { columns });
    expect(errorOf(r, 1)).toEqual({ row: 1, field: 'name', rule: 'encoding', message: expect.stringMatching(/not valid UTF-8/), rawValue: 'K\uFFFDm' });
    expect(values(r)[1]).toEqual(['B', 'Lee', 'Busan']);
  });

  it('flags EUC-KR text (a common mistake of Korean exports)', async () => {
    // "김" in EUC-KR is B1 E8.
    const r = await read(Buffer.concat([Buffer.from('id,name,city\nA,'), Buffer.from([0xb1, 0xe8]), Buffer.from(',x\n')]), { columns });
    expect(errorOf(r, 1)).toMatchObject({ field: 'name', rule: 'encoding' });
  });

  it('does not flag a literal U+FFFD written as valid UTF-8', async () => {
    expect(values(await read('id,name,city\nA,\uFFFD,x\n', { columns }))).toEqual([['A', '\uFFFD', 'x']]);
  });

  it('does not flag multi-byte characters split across chunks', async () => {
    const text = 'id,name,city\nA,김민수,서울 😀\n"B","é""ü",ß\n';
    const whole = await read(text, { columns });
    expect(values(whole)).toEqual([
      ['A', '김민수', '서울 😀'],
      ['B', 'é"ü', 'ß'],
    ]);
    for (let size = 1; size <= 7; size++) expect(await read(text, { columns }, size)).toEqual(whole);
  });

  it('flags bad bytes that straddle a chunk border exactly once', async () => {
    const bytes = Buffer.concat([Buffer.from('id,name,city\nA,ab'), Buffer.from([0xe2, 0x82]), Buffer.from('cd,x\nB,ok,y\n')]);
    const whole = await read(bytes, { columns });
    expect(errors(whole).map((e) => [e.row, e.field, e.rule])).toEqual([[1, 'name', 'encoding']]);
    for (let size = 1; size <= 7; size++) expect(await read(bytes, { columns }, size)).toEqual(whole);
  });
});

// ---- size limits ---------------------------------------------------------------------------

/** A stream of `header`, then `before`, then `size` bytes of `fill`, then `after`, in 64 KiB chunks. */
function withHugeRecord(header: string, before: string, fill: string, size: number, after: string): Readable {
  const block = Buffer.alloc(64 * 1024, fill);
  let left = size;
  let stage = 0;
  return new Readable({
    read() {
      if (stage === 0) {
        stage = 1;
        this.push(Buffer.from(header + before));
      } else if (left > 0) {
        const n = Math.min(left, block.length);
        left -= n;
        this.push(block.subarray(0, n));
      } else if (stage === 1) {
        stage = 2;
        this.push(Buffer.from(after));
      } else {
        this.push(null);
      }
    },
  });
}

describe('record size', () => {
  const columns = [S('id'), S('name')];
  const TEN_MB = 10 * 1024 * 1024;

  it('reports a 10 MB line as record_too_large and carries on with the next rows', async () => {
    const r = await read(withHugeRecord('id,name\n', 'A,ok\nB,', 'x', TEN_MB, '\nC,fine\n'), { columns });
    expect(r.rows.map((x) => [x.row, x.ok])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
    const e = errorOf(r, 2);
    expect(e).toMatchObject({ field: null, rule: 'record_too_large', message: expect.stringMatching(/Row 2 is longer than 1048576 bytes/) });
    expect(e.rawValue).toBe('B,' + 'x'.repeat(998));
    expect(values(r)[2]).toEqual(['C', 'fine']);
    expect(r.stats).toMatchObject({ inputRows: 3, okRows: 2, errorRows: 1 });
  });

  it('reports a record just over a smaller maxRecordBytes even when it ends inside a chunk', async () => {
    const r = await read(`id,name\nA,${'y'.repeat(200)}\nB,ok\n`, { columns, maxRecordBytes: 100 });
    expect(errorOf(r, 1).rule).toBe('record_too_large');
    expect(values(r)[1]).toEqual(['B', 'ok']);
  });

  it('skips an oversized quoted record with line breaks inside to its real end', async () => {
    const r = await read(withHugeRecord('id,name\n', 'A,"', 'z\n', 3 * 1024 * 1024, '"\nB,after\n'), { columns });
    expect(r.rows.map((x) => x.ok)).toEqual([false, true]);
    expect(values(r)[1]).toEqual(['B', 'after']);
  });

  it('fails the file when an unclosed quote swallows the rest of a large file', async () => {
    const e = await fileError(withHugeRecord('id,name\n', 'A,ok\nB,"', 'q', 5 * 1024 * 1024, ''), { columns });
    expect(e.rule).toBe('csv_malformed');
    expect(e.message).toMatch(/line 3/);
  });

  it('fails the file when the header itself is too long', async () => {
    const e = await fileError(withHugeRecord('', 'id', 'h', 2 * 1024 * 1024, '\n'), { columns });
    expect(e.rule).toBe('record_too_large');
  });

  it('reports a 10 MB JSON line as record_too_large', async () => {
    const r = await read(withHugeRecord('', '{"id":"A"}\n{"id":"', 'x', TEN_MB, '"}\n{"id":"C"}\n'), { columns, format: 'jsonl' });
    expect(r.rows.map((x) => [x.row, x.ok])).toEqual([
      [1, true],
      [2, false],
      [3, true],
    ]);
    expect(errorOf(r, 2).rule).toBe('record_too_large');
  });
});

// ---- compression ---------------------------------------------------------------------------

describe('gzip', () => {
  const text = 'id,name\nA,김\nB,c\n';
  const gz = gzipSync(Buffer.from(text));

  it('detects gzip by its magic bytes (auto) and reads it like the plain file', async () => {
    const plain = await read(text, { columns: BASIC });
    const r = await read(gz, { columns: BASIC });
    expect(r.rows).toEqual(plain.rows);
    expect(r.stats.bytesRead).toBe(gz.length);
    for (const size of [1, 2, 3, 7]) expect((await read(gz, { columns: BASIC, compression: 'gzip' }, size)).rows).toEqual(plain.rows);
  });

  it('fails a file declared gzip that is not gzip', async () => {
    const e = await fileError(text, { columns: BASIC, compression: 'gzip' });
    expect(e.rule).toBe('compression');
    expect(e.message).toMatch(/not gzip/);
  });

  it('fails a gzip file declared uncompressed', async () => {
    expect((await fileError(gz, { columns: BASIC, compression: 'none' })).rule).toBe('compression');
  });

  it('fails a truncated gzip file', async () => {
    const big = gzipSync(Buffer.from('id,name\n' + Array.from({ length: 5000 }, (_, i) => `P${i},name ${i}`).join('\n')));
    const e = await fileError(big.subarray(0, Math.floor(big.length / 2)), { columns: BASIC });
    expect(e.rule).toBe('compression');
    expect(e.message).toMatch(/damaged or truncated/);
  });

  it('fails corrupt gzip data', async () => {
    const bad = Buffer.from(gz);
    bad.fill(0x55, 12, 20);
    expect((await fileError(bad, { columns: BASIC })).rule).toBe('compression');
  });
});

// ---- JSON lines ------------------------------------------------------------------------------

describe('JSON lines', () => {
  const columns: ColumnPlan[] = [
    S('partnerID', { normalize: normalizePartnerId, required: true }),
    S('homeAddress.city'),
    S('homeAddress.postalCode'),
    { path: 'age', type: 'integer', minimum: 0, maximum: 150 },
    { path: 'score', type: 'number' },
    { path: 'optIn', type: 'boolean' },
    { path: 'birthDate', type: 'date' },
    { path: 'lastSeen', type: 'date-time' },
    { path: 'tags', type: 'string[]' },
    { path: 'extra', type: 'json' },
  ];
  const jsonl = async (text: string | Buffer, opts: Partial<ReadOptions> = {}, size?: number) => read(text, { columns, format: 'jsonl', ...opts }, size);

  it('accepts nested objects and dotted keys alike; row is the line number', async () => {
    const text = [
      '{"partnerID":"P1","homeAddress":{"city":"Seoul","postalCode":"04524"},"age":41,"score":1.5,"optIn":true,"birthDate":"1983-04-05","lastSeen":"2024-05-01T09:30:00+09:00","tags":["a","b"],"extra":{"k":[1]}}',
      '',
      '{"partnerID":"P2","homeAddress.city":"Busan","homeAddress":{"postalCode":"1"},"extra":"s"}',
    ].join('\n');
    const r = await jsonl(text);
    expect(r.rows).toEqual([
      { row: 1, ok: true, values: ['P1', 'Seoul', '04524', 41, 1.5, true, '1983-04-05', '2024-05-01T00:30:00.000Z', ['a', 'b'], { k: [1] }] },
      { row: 3, ok: true, values: ['P2', 'Busan', '1', null, null, null, null, null, null, 's'] },
    ]);
    expect(r.stats.inputRows).toBe(2);
  });

  it('reports invalid JSON and non-objects per line', async () => {
    const r = await jsonl('{"partnerID":"P1"}\n{"partnerID":\n[1,2]\n"text"\nnull\n{"partnerID":"P6"}\r\n');
    expect(r.rows.map((x) => (x.ok ? x.row : [x.row, x.errors[0].rule]))).toEqual([1, [2, 'json'], [3, 'object'], [4, 'object'], [5, 'object'], 6]);
    expect(errorOf(r, 2)).toMatchObject({ field: null, rawValue: '{"partnerID":' });
    expect(errorOf(r, 3).message).toMatch(/holds an array; each line must be one JSON object/);
  });

  it('reports unknown keys as unknown_field, and a field given twice', async () => {
    const r = await jsonl('{"partnerID":"P1","nickname":"x","homeAddress":{"street":"y"}}\n{"partnerID":"P2","homeAddress":{"city":"a"},"homeAddress.city":"b"}\n');
    expect(errors(r).map((e) => [e.row, e.field, e.rule, e.rawValue])).toEqual([
      [1, 'nickname', 'unknown_field', 'x'],
      [1, 'homeAddress.street', 'unknown_field', 'y'],
      [2, 'homeAddress.city', 'duplicate_field', 'b'],
    ]);
    expect(errors(r)[0].message).toMatch(/Valid field paths: partnerID, homeAddress\.city/);
  });

  it('insists on JSON types: numbers are not strings, identities are strings', async () => {
    const r = await jsonl(
      [
        '{"partnerID":"P1","age":"41"}',
        '{"partnerID":"P2","age":4.5}',
        '{"partnerID":"P3","score":"1.5"}',
        '{"partnerID":"P4","optIn":"true"}',
        '{"partnerID":"P5","optIn":1}',
        '{"partnerID":"P6","birthDate":19830405}',
        '{"partnerID":"P7","lastSeen":"2024-05-01T09:30:00"}',
        '{"partnerID":"P8","tags":"a,b"}',
        '{"partnerID":"P9","tags":["a",2]}',
        '{"partnerID":12345678901234567890}',
        '{"partnerID":"P11","homeAddress":{"city":42}}',
        '{"partnerID":"P12","age":200}',
        '{"partnerID":"P13","score":1e400}',
        '{"partnerID":"P14","age":12345678901234567890}',
      ].join('\n'),
    );
    expect(errors(r).map((e) => [e.row, e.field, e.rule])).toEqual([
      [1, 'age', 'integer'],
      [2, 'age', 'integer'],
      [3, 'score', 'number'],
      [4, 'optIn', 'boolean'],
      [5, 'optIn', 'boolean'],
      [6, 'birthDate', 'date'],
      [7, 'lastSeen', 'date-time'],
      [8, 'tags', 'array'],
      [9, 'tags', 'array'],
      [10, 'partnerID', 'string'],
      [11, 'homeAddress.city', 'string'],
      [12, 'age', 'range'],
      [13, 'score', 'number'],
      [14, 'age', 'range'],
    ]);
    expect(errorOf(r, 1).message).toMatch(/not the string "42"/);
    expect(errorOf(r, 1).rawValue).toBe('41');
    expect(errorOf(r, 10).rawValue).toBe('12345678901234567000');
  });

  it('reads null and "" as missing; required still applies', async () => {
    const r = await jsonl('{"partnerID":"P1","homeAddress":{"city":""},"age":null}\n{"partnerID":"","age":3}\n{"age":3}\n');
    expect(r.rows[0]).toEqual({ row: 1, ok: true, values: ['P1', null, null, null, null, null, null, null, null, null] });
    expect(errorOf(r, 2)).toMatchObject({ field: 'partnerID', rule: 'required' });
    expect(errorOf(r, 3)).toMatchObject({ field: 'partnerID', rule: 'required' });
  });

  it('applies the mapping to dotted key paths', async () => {
    const r = await jsonl('{"id":"P1","addr":{"town":"Seoul"},"debug":{"x":1}}\n', { mapping: { id: 'partnerID', 'addr.town': 'homeAddress.city', debug: '' } });
    expect(values(r)).toEqual([['P1', 'Seoul', null, null, null, null, null, null, null, null]]);
  });

  it('tolerates a BOM and CRLF line ends', async () => {
    expect(values(await jsonl('\uFEFF{"partnerID":"P1"}\r\n{"partnerID":"P2"}\r\n')).map((v) => v![0])).toEqual(['P1', 'P2']);
  });

  it('fails an empty file and skips blank lines', async () => {
    expect((await fileError('\n  \n', { columns, format: 'jsonl' })).rule).toBe('empty');
    expect((await jsonl('\n\n{"partnerID":"P"}\n\n')).rows.map((x) => x.row)).toEqual([3]);
  });

  it('flags invalid UTF-8 in a line, naming the field, and not a split character', async () => {
    const bad = Buffer.concat([Buffer.from('{"partnerID":"P1","homeAddress":{"city":"S'), Buffer.from([0xc3]), Buffer.from('l"}}\n{"partnerID":"P2","homeAddress":{"city":"서울"}}\n')]);
    const whole = await jsonl(bad);
    expect(errorOf(whole, 1)).toMatchObject({ field: 'homeAddress.city', rule: 'encoding', rawValue: 'S\uFFFDl' });
    expect(values(whole)[1]).toEqual(['P2', '서울', null, null, null, null, null, null, null, null]);
    for (let size = 1; size <= 7; size++) expect(await jsonl(bad, {}, size)).toEqual(whole);
  });

  it('refuses NUL characters in strings and JSON values', async () => {
    const r = await jsonl('{"partnerID":"P1","homeAddress":{"city":"a\\u0000b"}}\n{"partnerID":"P2","extra":{"k":"\\u0000"}}\n');
    expect(errors(r).map((e) => [e.row, e.field, e.rule])).toEqual([
      [1, 'homeAddress.city', 'nul_character'],
      [2, 'extra', 'nul_character'],
    ]);
  });
});

// ---- record validation ----------------------------------------------------------------------

describe('validate', () => {
  const columns: ColumnPlan[] = [S('partnerID'), S('personalEmail.address'), { path: 'age', type: 'integer' }];
  const schema = {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    properties: {
      partnerID: { type: 'string' },
      personalEmail: { type: 'object', additionalProperties: false, properties: { address: { type: 'string', format: 'email' } } },
      age: { type: 'integer', maximum: 120 },
    },
    required: ['partnerID'],
  };
  const ajv = compileRecordValidator(schema);

  it('hands the nested record to validate and reports its errors per field', async () => {
    const seen: unknown[] = [];
    const validate = (record: Record<string, unknown>) => {
      seen.push(record);
      if (ajv(record)) return true;
      return {
        errors: recordErrors(ajv).map((e) => ({ field: e.pointer ? e.pointer.slice(1).split('/').join('.') : null, rule: e.rule, message: e.message })),
      };
    };
    const r = await read('partnerID,personalEmail.address,age\nP1,a@b.co,30\nP2,nope,130\n,x@y.kr,\n', { columns, validate });
    expect(seen[0]).toEqual({ partnerID: 'P1', personalEmail: { address: 'a@b.co' }, age: 30 });
    expect(r.rows[0].ok).toBe(true);
    expect(errors(r).map((e) => [e.row, e.field, e.rule, e.rawValue])).toEqual([
      [2, 'personalEmail.address', 'format', 'nope'],
      [2, 'age', 'maximum', '130'],
      [3, 'partnerID', 'required', null],
    ]);
    expect(errors(r)[1].message).toBe('Value must be <= 120');
    expect(errors(r)[2].message).toBe('Missing value: fill in partnerID');
  });

  it('takes a plain false as a schema error', async () => {
    const r = await read('partnerID\nP1\n', { columns, validate: () => false });
    expect(errors(r)).toEqual([{ row: 1, field: null, rule: 'schema', message: expect.any(String), rawValue: null }]);
  });

  it('does not validate rows that already failed conversion', async () => {
    let calls = 0;
    await read('partnerID,age\nP1,x\n', { columns, validate: () => (calls++, true) });
    expect(calls).toBe(0);
  });
});

// ---- chunking invariance ---------------------------------------------------------------------

describe('chunk sizes', () => {
  const columns: ColumnPlan[] = [
    S('id', { required: true }),
    S('name'),
    { path: 'n', type: 'integer' },
    { path: 'when', type: 'date-time' },
    { path: 'tags', type: 'string[]' },
    S('email', { normalize: normalizeEmail }),
  ];
  const corpus = Buffer.concat([
    Buffer.from('\uFEFFid;name;n;when;tags;email\r\n'),
    Buffer.from('A;"multi\r\nline; ""quoted""";1;2024-01-01T00:00:00+09:00;"[""x"",""y""]";A@B.CO\r\n'),
    Buffer.from('B;김민수 😀;x;;;\r\n'),
    Buffer.from('\r\n'),
    Buffer.from('C;ragged\r\n'),
    Buffer.from('D;'),
    Buffer.from([0xf0, 0x9f, 0x98]), // a truncated 4-byte sequence
    Buffer.from(';3;;[];bad-email\r\n'),
    Buffer.from('E;"ab"c;4;;;\r\n'),
    Buffer.from(';no id;5;;;\r\n'),
    Buffer.from('F;last;6;2024-02-29T12:00:00Z;;x@y.kr'),
  ]);

  it('gives identical rows, errors and stats for every chunk size from 1 to 7 bytes', async () => {
    const whole = await read(corpus, { columns, delimiter: ';' });
    expect(whole.rows.map((r) => (r.ok ? r.row : [r.row, ...r.errors.map((e) => `${e.field}:${e.rule}`)]))).toEqual([
      1,
      [2, 'n:integer'],
      [3, 'null:column_count'],
      [4, 'name:encoding', 'email:email'],
      [5, 'name:quote'],
      [6, 'id:required'],
      7,
    ]);
    for (let size = 1; size <= 7; size++) expect(await read(corpus, { columns, delimiter: ';' }, size)).toEqual(whole);
    const gz = gzipSync(corpus);
    for (let size = 1; size <= 7; size++) {
      const r = await read(gz, { columns, delimiter: ';' }, size);
      expect(r.rows).toEqual(whole.rows);
    }
  });
});

// ---- streaming -----------------------------------------------------------------------------

/** `rows` CSV rows of ~200 bytes, generated as they are read (never one string). */
function generated(rows: number, produced: { bytes: number } = { bytes: 0 }): Readable {
  let i = 0;
  return new Readable({
    highWaterMark: 16 * 1024,
    read() {
      if (i === 0) {
        const h = Buffer.from('id,name,n,city,note\n');
        produced.bytes += h.length;
        this.push(h);
      }
      let s = '';
      while (s.length < 16 * 1024 && i < rows) {
        s += `P${i},"Name ${i}, the ${i % 7}th",${i},Seoul,"${'note text '.repeat(15)}${i}"\n`;
        i++;
      }
      if (s.length === 0) {
        this.push(null);
        return;
      }
      const b = Buffer.from(s);
      produced.bytes += b.length;
      this.push(b);
    },
  });
}

describe('streaming', () => {
  const columns: ColumnPlan[] = [S('id'), S('name'), { path: 'n', type: 'integer' }, S('city'), S('note')];

  it('streams 200k rows (~40 MB) in small memory', async () => {
    // A real collection before each sample: what is measured is what the reader keeps alive.
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const live = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    const produced = { bytes: 0 };
    const reader = readRecords(generated(200_000, produced), { format: 'csv', columns });
    const before = live();
    let peak = 0;
    let count = 0;
    let sum = 0;
    for await (const batch of reader.batches()) {
      for (const row of batch) {
        if (!row.ok) throw new Error(JSON.stringify(row));
        sum += row.values[2] as number;
        count++;
      }
      if (count % 20_000 < batch.length) peak = Math.max(peak, live() - before);
    }
    expect(count).toBe(200_000);
    expect(sum).toBe((199_999 * 200_000) / 2);
    expect(produced.bytes).toBeGreaterThan(35e6);
    expect(reader.stats).toMatchObject({ inputRows: 200_000, okRows: 200_000, errorRows: 0, bytesRead: produced.bytes });
    // Holding the file would take ≥ 38 MB (more as strings); the reader needs ~3 MB.
    expect(peak).toBeLessThan(20 * 1024 * 1024);
  }, 60_000);

  it('reads ahead only a little when the consumer is slow (backpressure)', async () => {
    const produced = { bytes: 0 };
    const input = generated(100_000, produced);
    const reader = readRecords(input, { format: 'csv', columns });
    let n = 0;
    for await (const row of reader) {
      expect(row.ok).toBe(true);
      if (++n % 500 === 0) {
        await new Promise((r) => setTimeout(r, 5));
        // ~20 MB in total; what has been produced stays close to what was consumed.
        expect(produced.bytes - n * 200).toBeLessThan(512 * 1024);
      }
      if (n === 3000) break;
    }
    expect(input.destroyed).toBe(true);
  });

  it('reads ahead only a little through gzip too', async () => {
    const big = gzipSync(Buffer.from('id,name,n,city,note\n' + Array.from({ length: 50_000 }, (_, i) => `P${i},n,${i},c,${'z'.repeat(100)}`).join('\n')));
    let sent = 0;
    const input = new Readable({
      highWaterMark: 1024,
      read() {
        if (sent >= big.length) return void this.push(null);
        const next = big.subarray(sent, sent + 1024);
        sent += next.length;
        this.push(next);
      },
    });
    const reader = readRecords(input, { format: 'csv', columns });
    let n = 0;
    for await (const row of reader) {
      expect(row.ok).toBe(true);
      if (++n === 100) break;
    }
    expect(sent).toBeLessThan(big.length / 2);
    expect(input.destroyed).toBe(true);
  });

  it('can be read only once', async () => {
    const reader = readRecords(chunked('id\nA\n'), { format: 'csv', columns });
    for await (const _ of reader) void _;
    await expect(reader[Symbol.asyncIterator]().next()).rejects.toThrow(/only be read once/);
  });

  it('passes on errors of the input stream as they are', async () => {
    const input = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    await expect(read(input, { columns })).rejects.toThrow('connection reset');
  });

  it('accepts string chunks', async () => {
    const r = await read(Readable.from(['id,na', 'me\nA,b\n']), { columns });
    expect(values(r)).toEqual([['A', 'b', null, null, null]]);
  });
});
