/**
 * One cell to its column's value: CSV text (`fromText`) or a JSON lines value (`fromJson`), with
 * the rules of each kind (whole numbers, finite decimals, booleans, calendar dates, date-times
 * normalised to UTC, string arrays, JSON) and the raw value shown in a row error.
 */
import { MSG } from './messages';
import { Column, K_BOOLEAN, K_DATE, K_DATE_TIME, K_INTEGER, K_NUMBER, K_STRING, K_STRING_ARRAY } from './plan';
import { RAW_VALUE_MAX_CHARS, RowValue } from './types';

/** Returned by a conversion that failed; `failure` says why (set just before). */
export const INVALID: unique symbol = Symbol('invalid');
/** Why the last conversion returned INVALID: one shared record, so a failure allocates nothing. */
export const failure = { rule: '', message: '' };

function fail(rule: string, message: string): typeof INVALID {
  failure.rule = rule;
  failure.message = message;
  return INVALID;
}

const INTEGER_RE = /^[+-]?\d+$/;
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12 || c === 0xa0 || c === 0xfeff || (c >= 0x2000 && c <= 0x200a) || c === 0x3000;
}

/** Empty or only whitespace (cheap: usually decided by the first character). */
function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

function trimIfNeeded(s: string): string {
  return isSpace(s.charCodeAt(0)) || isSpace(s.charCodeAt(s.length - 1)) ? s.trim() : s;
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

function digitsAt(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

function isDate(t: string): boolean {
  if (t.length !== 10 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45) return false;
  const y = digitsAt(t, 0, 4);
  const m = digitsAt(t, 5, 7);
  const d = digitsAt(t, 8, 10);
  return y >= 1 && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);
}

const TWO_DIGITS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i);

function isDigitAt(t: string, i: number): boolean {
  const c = t.charCodeAt(i);
  return c >= 48 && c <= 57;
}

/**
 * ISO 8601 date-time with a timezone → UTC `YYYY-MM-DDTHH:MM:SS.sssZ` (plus microseconds when
 * given). Accepts `T`, `t` or a space between date and time, optional seconds and fraction
 * (`.` or `,`), `Z` or `±hh:mm` / `±hhmm`. Hand-parsed: it runs for every cell of the column.
 */
function toDateTime(t: string): string | typeof INVALID {
  const n = t.length;
  if (n < 17 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(13) !== 58) return fail('date-time', MSG.dateTime);
  const sep = t.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return fail('date-time', MSG.dateTime);
  let y = digitsAt(t, 0, 4);
  let mo = digitsAt(t, 5, 7);
  let d = digitsAt(t, 8, 10);
  const h = digitsAt(t, 11, 13);
  const mi = digitsAt(t, 14, 16);
  let s = 0;
  let i = 16;
  let frac = '';
  if (t.charCodeAt(i) === 58) {
    s = digitsAt(t, 17, 19);
    if (n < 20) return fail('date-time', MSG.dateTime);
    i = 19;
    const dot = t.charCodeAt(i);
    if (dot === 46 || dot === 44) {
      let k = i + 1;
      while (k < n && isDigitAt(t, k)) k++;
      if (k === i + 1 || k - i - 1 > 9) return fail('date-time', MSG.dateTime);
      frac = t.slice(i + 1, k);
      i = k;
    }
  }
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59) {
    return fail('date-time', MSG.dateTime);
  }
  let offset = 0;
  const z = t.charCodeAt(i);
  if (z === 90 || z === 122) {
    if (i + 1 !== n) return fail('date-time', MSG.dateTime);
  } else if (z === 43 || z === 45) {
    const oh = digitsAt(t, i + 1, i + 3);
    let om: number;
    if (n === i + 6 && t.charCodeAt(i + 3) === 58) om = digitsAt(t, i + 4, i + 6);
    else if (n === i + 5) om = digitsAt(t, i + 3, i + 5);
    else return fail('date-time', MSG.dateTime);
    if (oh < 0 || oh > 18 || om < 0 || om > 59) return fail('date-time', MSG.dateTime);
    offset = (oh * 60 + om) * (z === 45 ? -1 : 1);
  } else {
    return fail('date-time', MSG.dateTime);
  }
  // To UTC: the offset is under a day, so the date moves by at most one day.
  let minutes = h * 60 + mi - offset;
  if (minutes < 0) {
    minutes += 1440;
    if (--d < 1) {
      if (--mo < 1) {
        mo = 12;
        y--;
      }
      d = daysInMonth(y, mo);
    }
  } else if (minutes >= 1440) {
    minutes -= 1440;
    if (++d > daysInMonth(y, mo)) {
      d = 1;
      if (++mo > 12) {
        mo = 1;
        y++;
      }
    }
  }
  if (y < 1 || y > 9999) return fail('date-time', MSG.dateTimeRange);
  const yyyy = y >= 1000 ? String(y) : String(y).padStart(4, '0');
  const ms = frac.length >= 3 ? frac.slice(0, 3) : (frac + '000').slice(0, 3);
  // Microseconds are PostgreSQL's precision; digits past them are dropped.
  const micro = frac.length > 3 ? (frac.slice(3, 6) + '00').slice(0, 3) : '';
  return (
    yyyy + '-' + TWO_DIGITS[mo] + '-' + TWO_DIGITS[d] + 'T' + TWO_DIGITS[(minutes / 60) | 0] + ':' + TWO_DIGITS[minutes % 60] + ':' + TWO_DIGITS[s] + '.' + ms + micro + 'Z'
  );
}

function checkRange(col: Column, n: number): number | typeof INVALID {
  if (n < col.min || n > col.max) return fail('range', col.rangeMessage);
  return n;
}

function hasNul(s: string): boolean {
  return s.indexOf('\u0000') !== -1;
}

function isStringArray(v: unknown): v is string[] {
  if (!Array.isArray(v)) return false;
  for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string' || hasNul(v[i] as string)) return false;
  return true;
}

/** A cell split on the multi-value separator: items trimmed, empty ones dropped. */
function splitItems(t: string, separator: string): string[] | typeof INVALID {
  const items: string[] = [];
  for (const part of t.split(separator)) {
    if (isBlank(part)) continue;
    if (hasNul(part)) return fail('nul_character', MSG.nul);
    items.push(trimIfNeeded(part));
  }
  return items;
}

/** A CSV cell (non-empty) to the column's value. `separator`: see Plan. */
export function fromText(col: Column, s: string, separator: string): RowValue | typeof INVALID {
  if (col.normalize) {
    if (isBlank(s)) return null;
    const r = col.normalize(s);
    return r.ok ? r.value : fail(r.rule, r.message);
  }
  const kind = col.kind;
  if (kind === K_STRING) return hasNul(s) ? fail('nul_character', MSG.nul) : s;
  if (isBlank(s)) return null;
  const t = trimIfNeeded(s);
  switch (kind) {
    case K_INTEGER: {
      if (!INTEGER_RE.test(t)) return fail('integer', MSG.integer);
      const n = Number(t);
      if (!Number.isSafeInteger(n)) return fail('range', MSG.safeInteger);
      return checkRange(col, n);
    }
    case K_NUMBER: {
      if (!NUMBER_RE.test(t)) return fail('number', MSG.number);
      const n = Number(t);
      if (!Number.isFinite(n)) return fail('number', MSG.number);
      return checkRange(col, n);
    }
    case K_BOOLEAN:
      return textBoolean(t);
    case K_DATE:
      return isDate(t) ? t : fail('date', MSG.date);
    case K_DATE_TIME:
      return toDateTime(t);
    case K_STRING_ARRAY: {
      if (separator !== '') return splitItems(t, separator);
      let v: unknown;
      try {
        v = JSON.parse(t);
      } catch {
        return fail('array', MSG.array);
      }
      return isStringArray(v) ? v : fail('array', MSG.array);
    }
    default: {
      if (t.indexOf('\\u0000') !== -1) return fail('nul_character', MSG.nul);
      try {
        return JSON.parse(t) as RowValue;
      } catch (err) {
        return fail('json', `${MSG.json} (${(err as Error).message})`);
      }
    }
  }
}

function textBoolean(t: string): boolean | typeof INVALID {
  switch (t) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
  }
  if (t.length > 5) return fail('boolean', MSG.boolean);
  switch (t.toLowerCase()) {
    case 'true':
    case 'yes':
      return true;
    case 'false':
    case 'no':
      return false;
    default:
      return fail('boolean', MSG.boolean);
  }
}

/** A JSON value (not undefined) to the column's value: it must already have the right JSON type. */
export function fromJson(col: Column, v: unknown): RowValue | typeof INVALID {
  if (v === null) return null;
  if (col.normalize) {
    if (typeof v !== 'string') return fail('string', MSG.identityJson);
    if (isBlank(v)) return null;
    const r = col.normalize(v);
    return r.ok ? r.value : fail(r.rule, r.message);
  }
  switch (col.kind) {
    case K_STRING:
      if (typeof v !== 'string') return fail('string', MSG.string);
      if (v.length === 0) return null;
      return hasNul(v) ? fail('nul_character', MSG.nul) : v;
    case K_INTEGER:
      if (typeof v !== 'number' || !Number.isInteger(v)) return fail('integer', MSG.integerJson);
      if (!Number.isSafeInteger(v)) return fail('range', MSG.safeInteger);
      return checkRange(col, v);
    case K_NUMBER:
      if (typeof v !== 'number' || !Number.isFinite(v)) return fail('number', MSG.numberJson);
      return checkRange(col, v);
    case K_BOOLEAN:
      return typeof v === 'boolean' ? v : fail('boolean', MSG.booleanJson);
    case K_DATE: {
      if (typeof v !== 'string') return fail('date', MSG.date);
      if (isBlank(v)) return null;
      const t = trimIfNeeded(v);
      return isDate(t) ? t : fail('date', MSG.date);
    }
    case K_DATE_TIME:
      if (typeof v !== 'string') return fail('date-time', MSG.dateTime);
      if (isBlank(v)) return null;
      return toDateTime(trimIfNeeded(v));
    case K_STRING_ARRAY:
      return isStringArray(v) ? v : fail('array', MSG.arrayJson);
    default:
      if (typeof v === 'string' ? hasNul(v) : typeof v === 'object' && JSON.stringify(v).indexOf('\\u0000') !== -1) {
        return fail('nul_character', MSG.nul);
      }
      return v as RowValue;
  }
}

export function truncate(s: string): string {
  return s.length > RAW_VALUE_MAX_CHARS ? s.slice(0, RAW_VALUE_MAX_CHARS) : s;
}

export function rawOf(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return truncate(v);
  try {
    return truncate(JSON.stringify(v) ?? String(v));
  } catch {
    return truncate(String(v));
  }
}
