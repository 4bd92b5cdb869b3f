/**
 * Non-ASCII records are cut into fields in their decoded text (csv.ts endRecord) rather than by
 * decoding each field again. Partners' files mix Korean, accents, emoji (two UTF-16 units for four
 * bytes), delimiters and doubled quotes inside quoted fields, empty and unmapped columns: every
 * value must read exactly as csv-parse reads it, whatever the chunking.
 */
import { parse } from 'csv-parse/sync';
import { read, values } from './helpers/records';

/** A seeded generator (mulberry32): the same file every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['a', 'Z', '9', ' ', '김', '서울', '강남구', 'é', 'ü', '😀', '𝄞', ',', '"', '\n', '-', '한국어 텍스트'];

function field(next: () => number): string {
  const len = Math.floor(next() * 5);
  let s = '';
  for (let i = 0; i < len; i++) s += PIECES[Math.floor(next() * PIECES.length)];
  return s;
}

function csvCell(v: string, next: () => number): string {
  const mustQuote = /[",\n]/.test(v);
  return mustQuote || next() < 0.2 ? `"${v.replace(/"/g, '""')}"` : v;
}

it('reads every value of mixed-script, quoted and unquoted fields as csv-parse does, in any chunking', async () => {
  const next = random(20261202);
  const header = ['c0', 'c1', 'skip', 'c3', 'c4', 'c5'];
  const rows: string[][] = [];
  for (let r = 0; r < 400; r++) rows.push(header.map(() => field(next)).map((v) => (v.trim() === '' ? 'x' : v)));
  const text = header.join(',') + '\n' + rows.map((cells) => cells.map((c) => csvCell(c, next)).join(',')).join('\r\n') + '\n';
  const expected: string[][] = parse(text, { from_line: 2, record_delimiter: ['\r\n', '\n'] });
  expect(expected).toHaveLength(rows.length);

  const columns = ['c0', 'c1', 'c3', 'c4', 'c5'].map((path) => ({ path, type: 'string' as const }));
  for (const size of [undefined, 7, 64, 1000]) {
    const result = await read(text, { columns, mapping: { skip: '' } }, size);
    expect(result.rows.every((r) => r.ok)).toBe(true);
    expect(values(result)).toEqual(expected.map((cells) => [cells[0], cells[1], cells[3], cells[4], cells[5]]));
  }
});
