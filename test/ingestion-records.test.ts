/**
 * The streaming ingestion core (src/ingestion/records/) against a corpus of bad partner files — CSV
 * structure, mapping, value conversion, identities: every problem must come out as a precise row
 * error or FileError, never a crash. Encodings, sizes, gzip, JSON lines and chunking:
 * ingestion-records-streams.test.ts.
 */
import { ColumnPlan, FileError } from '../src/ingestion/records';
import { BASIC, errorOf, errors, fileError, read, S, values } from './helpers/records';
import { normalizeDeviceId, normalizeEmail, normalizePartnerId, normalizePhone } from '../src/namespaces/identity';

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
