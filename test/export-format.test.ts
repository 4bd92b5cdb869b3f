/**
 * Export formatting: CSV / JSON Lines encoders (with and without gzip), formula-injection
 * neutralisation, file-name templates, part names and LiveRamp's naming rules. Pure logic.
 */
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync } from 'node:zlib';
import {
  createCsvEncoder,
  createJsonLinesEncoder,
  CsvEncoderOptions,
  DEFAULT_FILE_NAME_TEMPLATE,
  ExportFormatError,
  fileNameFromTemplate,
  LIVERAMP_MAX_ROWS_PER_FILE,
  liveRampFileName,
  liveRampMembership,
  liveRampSegmentColumn,
  neutraliseCell,
  partName,
  S3_MAX_ROWS_PER_FILE,
  validateLiveRampFileName,
  validateLiveRampHeader,
} from '../connectors/export-format';

async function encode(encoder: NodeJS.ReadWriteStream, rows: unknown[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await pipeline(
    Readable.from(rows),
    encoder,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk);
        cb();
      },
    }),
  );
  return Buffer.concat(chunks);
}

const csv = async (opts: Partial<CsvEncoderOptions>, rows: unknown[]) =>
  (await encode(createCsvEncoder({ columns: ['id', 'value'], gzip: false, ...opts }), rows)).toString('utf8');

function formatError(fn: () => unknown): ExportFormatError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ExportFormatError);
    return err as ExportFormatError;
  }
  throw new Error('expected an ExportFormatError');
}

const AT = new Date(Date.UTC(2024, 0, 2, 3, 4, 5));

describe('neutraliseCell', () => {
  it.each([
    ['=HYPERLINK("http://evil","x")', `'=HYPERLINK("http://evil","x")`],
    ['+SUM(A1)', "'+SUM(A1)"],
    ['-2+3+cmd|x', "'-2+3+cmd|x"],
    ['@SUM(1,1)', "'@SUM(1,1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
    ['\uFF1D1+1', "'\uFF1D1+1"],
  ])('prefixes %j', (input, expected) => {
    expect(neutraliseCell(input)).toBe(expected);
  });

  it.each(['plain', 'a=b', '', ' =1', '-12.5', '+14155550100', '-1e5', '.5', '12'])('leaves %j alone (no formula start, or a plain number)', (input) => {
    expect(neutraliseCell(input)).toBe(input);
  });
});

describe('createCsvEncoder', () => {
  it('writes a header and rows; object rows by column, array rows by position', async () => {
    expect(await csv({}, [{ id: 1, value: 'a', ignored: 'x' }, [2, 'b']])).toBe('id,value\n1,a\n2,b\n');
  });

  it('neutralises string cells but writes numbers (negative too) as numbers; headers unchanged', async () => {
    const out = await csv({ columns: ['-id', 'value'] }, [
      [-5, '=1+1'],
      [-1.5, '-1+cmd'],
      [10n, '+14155550100'],
      ['-7', '@x'],
    ]);
    expect(out).toBe("-id,value\n-5,'=1+1\n-1.5,'-1+cmd\n10,+14155550100\n-7,'@x\n");
  });

  it('quotes cells holding the delimiter, quotes or line breaks; custom quote and escape', async () => {
    expect(await csv({}, [[1, 'a,b'], [2, 'say "hi"'], [3, 'two\nlines']])).toBe('id,value\n1,"a,b"\n2,"say ""hi"""\n3,"two\nlines"\n');
    expect(await csv({ quote: "'", escape: '\\' }, [[1, "it's, ok"]])).toBe("id,value\n1,'it\\'s, ok'\n");
  });

  it.each([
    ['|', 'id|value\n1|a,b\n'],
    [';', 'id;value\n1;a,b\n'],
    ['\t', 'id\tvalue\n1\ta,b\n'],
    [':', 'id:value\n1:a,b\n'],
  ] as const)('delimiter %j', async (delimiter, expected) => {
    expect(await csv({ delimiter }, [[1, 'a,b']])).toBe(expected);
  });

  it('rejects delimiters outside , | ; \\t : and bad quote characters', () => {
    expect(formatError(() => createCsvEncoder({ columns: ['a'], gzip: false, delimiter: '#' as never })).rule).toBe('delimiter');
    expect(formatError(() => createCsvEncoder({ columns: ['a'], gzip: false, quote: ',' })).rule).toBe('quote');
    expect(formatError(() => createCsvEncoder({ columns: [], gzip: false })).rule).toBe('columns');
  });

  it('writes null and undefined as nullOutput, booleans, dates and objects readably', async () => {
    const rows = [
      { id: 1, value: null },
      { id: 2 },
      { id: true, value: new Date(AT) },
      { id: false, value: { a: [1, 2n] } },
      { id: 3, value: '' },
    ];
    expect(await csv({}, rows)).toBe('id,value\n1,\n2,\ntrue,2024-01-02T03:04:05.000Z\nfalse,"{""a"":[1,""2""]}"\n3,\n');
    expect(await csv({ nullOutput: 'null' }, rows.slice(0, 2).concat(rows.slice(4)))).toBe('id,value\n1,null\n2,null\n3,\n');
  });

  it('writes the header even with no rows, and none when header is false', async () => {
    expect(await csv({}, [])).toBe('id,value\n');
    expect(await csv({ header: false }, [[1, 'a']])).toBe('1,a\n');
    expect(await csv({ recordDelimiter: '\r\n' }, [[1, 'a']])).toBe('id,value\r\n1,a\r\n');
  });

  it('gzips when asked: the same bytes, compressed', async () => {
    const rows = Array.from({ length: 5_000 }, (_, i) => ({ id: i, value: `=cell ${i}` }));
    const plain = await encode(createCsvEncoder({ columns: ['id', 'value'], gzip: false }), rows);
    const gz = await encode(createCsvEncoder({ columns: ['id', 'value'], gzip: true }), rows);
    expect(gz.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    expect(gz.length).toBeLessThan(plain.length / 3);
    expect(gunzipSync(gz).equals(plain)).toBe(true);
    expect(plain.toString().split('\n')[2]).toBe("1,'=cell 1");
  });

  it('fails the stream on a row that is neither object nor array', async () => {
    await expect(csv({}, ['just a string'])).rejects.toThrow(/object or an array/);
  });
});

describe('createJsonLinesEncoder', () => {
  it('writes one JSON document per line, bigints as strings, gzip optional', async () => {
    const rows = [{ id: 1, email: '=x' }, { id: 2n, at: AT, none: null }];
    const expected = '{"id":1,"email":"=x"}\n{"id":"2","at":"2024-01-02T03:04:05.000Z","none":null}\n';
    expect((await encode(createJsonLinesEncoder({ gzip: false }), rows)).toString()).toBe(expected);
    expect(gunzipSync(await encode(createJsonLinesEncoder({ gzip: true }), rows)).toString()).toBe(expected);
  });
});

describe('fileNameFromTemplate', () => {
  const tokens = { destination: 'Amazon S3', audienceId: 'aud_01hx', at: AT };

  it('expands the default template in UTC and sanitises to a safe key segment', () => {
    expect(DEFAULT_FILE_NAME_TEMPLATE).toBe('<destination>_segment<audienceId>_<yyyymmddHHMMss>.csv');
    expect(fileNameFromTemplate(undefined, tokens)).toBe('Amazon_S3_segmentaud_01hx_20240102030405.csv');
  });

  it('knows every token; unsafe characters become _ and accents are dropped', () => {
    const name = fileNameFromTemplate('<audienceName>-<destinationInstance>-<customText>-<datetime>-<timestamp>.csv.gz', {
      ...tokens,
      audienceName: 'Café / High value: Seoul',
      destinationInstance: 'prod #1',
      customText: '../../etc',
    });
    expect(name).toBe(`Cafe_High_value_Seoul-prod_1-.._.._etc-20240102_030405-${AT.getTime() / 1000}.csv.gz`);
    expect(name).not.toContain('/');
  });

  it('names the token that is unknown or unset, and the 255-character limit', () => {
    expect(formatError(() => fileNameFromTemplate('<bogus>.csv', tokens)).message).toMatch(/unknown token <bogus>/);
    expect(formatError(() => fileNameFromTemplate('<audienceName>.csv', tokens)).message).toMatch(/<audienceName>.*no audienceName/);
    expect(fileNameFromTemplate('<customText>.csv', { ...tokens, customText: 'x'.repeat(251) })).toHaveLength(255);
    const long = formatError(() => fileNameFromTemplate('<customText>.csv', { ...tokens, customText: 'x'.repeat(252) }));
    expect(long.message).toMatch(/256 characters; the limit is 255/);
  });
});

describe('partName', () => {
  it.each([
    ['a.csv', 1, 'a.csv'],
    ['a.csv', 2, 'a_2.csv'],
    ['a.csv', 3, 'a_3.csv'],
    ['a.csv.gz', 2, 'a_2.csv.gz'],
    ['a.json.gz', 10, 'a_10.json.gz'],
    ['a.b.jsonl', 2, 'a.b_2.jsonl'],
    ['noext', 2, 'noext_2'],
    ['.gz', 2, '.gz_2'],
  ])('%s part %i → %s', (name, index, expected) => {
    expect(partName(name, index)).toBe(expected);
  });

  it('rejects index 0 and names pushed over 255 characters', () => {
    expect(() => partName('a.csv', 0)).toThrow(ExportFormatError);
    expect(formatError(() => partName(`${'x'.repeat(251)}.csv`, 2)).message).toMatch(/limit is 255/);
  });

  it('exports the split limits', () => {
    expect(S3_MAX_ROWS_PER_FILE).toBe(5_000_000);
    expect(LIVERAMP_MAX_ROWS_PER_FILE).toBe(10_000_000);
  });
});

describe('LiveRamp rules', () => {
  it('builds <ORG>_<DESTINATION>_<INSTANCE_ID>_<YYYYMMDD_HHMMSS>.csv in UTC', () => {
    expect(liveRampFileName({ org: 'Acme', destination: 'LiveRamp', instanceId: 'dst_01hx', at: AT })).toBe('Acme_LiveRamp_dst_01hx_20240102_030405.csv');
    expect(liveRampFileName({ org: 'Acme Corp', destination: 'LiveRamp', instanceId: '42', at: AT, gzip: true })).toBe('Acme_Corp_LiveRamp_42_20240102_030405.csv.gz');
    expect(() => liveRampFileName({ org: '한국', destination: 'LiveRamp', instanceId: '1', at: AT })).toThrow(/org with at least one ASCII letter/);
  });

  it.each([
    ['empty', '', /empty/],
    ['a space', 'has space.csv', /ASCII without spaces/],
    ['non-ASCII', 'café.csv', /ASCII/],
    ['a leading dot', '.hidden.csv', /must not start with "\." or "_"/],
    ['a leading underscore', '_x.csv', /must not start/],
    ['a slash', 'a/b.csv', /must not contain/],
    ['251 characters', `${'x'.repeat(247)}.csv`, /251 characters; the limit is 250/],
  ])('refuses a file name with %s', (_label, name, message) => {
    expect(formatError(() => validateLiveRampFileName(name)).message).toMatch(message);
  });

  it('accepts a 250-character ASCII name and a .part-free final name', () => {
    expect(() => validateLiveRampFileName(`${'x'.repeat(246)}.csv`)).not.toThrow();
    expect(() => validateLiveRampFileName('Acme_LiveRamp_1_20240102_030405.csv')).not.toThrow();
  });

  it('segment columns are <namespace>_<audienceId>, sanitised to [A-Za-z0-9_], at most 128 characters', () => {
    expect(liveRampSegmentColumn('Email_LC_SHA256', 'aud_01hx')).toBe('Email_LC_SHA256_aud_01hx');
    expect(liveRampSegmentColumn('phone.e164-v2', 'aud_01hx')).toBe('phone_e164_v2_aud_01hx');
    expect(liveRampSegmentColumn('n'.repeat(64), 'a'.repeat(63))).toHaveLength(128);
    expect(formatError(() => liveRampSegmentColumn('n'.repeat(64), 'a'.repeat(64))).message).toMatch(/129 characters; the limit is 128/);
    expect(() => liveRampSegmentColumn('', 'aud_1')).toThrow(/namespace code and an audience id/);
  });

  it('headers: identifier first, valid and unique segment columns', () => {
    expect(() => validateLiveRampHeader(['Email_LC_SHA256', 'Email_LC_SHA256_aud_1', 'Email_LC_SHA256_aud_2'])).not.toThrow();
    expect(formatError(() => validateLiveRampHeader(['email'])).message).toMatch(/at least one segment column/);
    expect(formatError(() => validateLiveRampHeader(['email', 'seg-1'])).message).toMatch(/column 2 "seg-1" may only contain/);
    expect(formatError(() => validateLiveRampHeader(['email', 'a', 'a'])).message).toMatch(/appears twice/);
    expect(formatError(() => validateLiveRampHeader(['email', 'x'.repeat(129)])).message).toMatch(/limit is 128/);
  });

  it('membership values are active, expired or empty', () => {
    expect([liveRampMembership('member'), liveRampMembership('exited'), liveRampMembership('none')]).toEqual(['active', 'expired', '']);
  });
});
