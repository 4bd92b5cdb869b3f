/**
 * The streaming ingestion core (src/ingestion/records/) on the byte level: UTF-8, record size, gzip,
 * JSON lines, validation, and results that must not depend on how the bytes were chunked.
 */
import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { ColumnPlan, ReadOptions, readRecords } from '../src/ingestion/records';
import { BASIC, chunked, errorOf, errors, fileError, read, S, values } from './helpers/records';
import { normalizeEmail, normalizePartnerId } from '../src/namespaces/identity';
import { compileRecordValidator, recordErrors } from '../src/schemas/validator';

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
