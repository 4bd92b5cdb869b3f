import { createHash } from 'node:crypto';
import {
  identityNormalizer,
  isStitchable,
  normalizeIdentity,
  NormalizeResult,
} from '../src/namespaces/identity';
import { STANDARD_NAMESPACES, type NamespaceType } from '../src/namespaces/service';

const ns = (code: string, type: NamespaceType) => ({ code, type });
const EMAIL = ns('Email', 'email');
const EMAIL_SHA = ns('Email_LC_SHA256', 'email');
const PHONE = ns('Phone', 'phone');
const PHONE_E164 = ns('Phone_E.164', 'phone');
const PHONE_SHA = ns('Phone_SHA256_E.164', 'phone');
const GAID = ns('GAID', 'device');
const IDFA = ns('IDFA', 'device');
const APP_USER = ns('AppUserId', 'cross_device');
const PARTNER = ns('Acme_Partner_ID', 'partner_id');

const value = (r: NormalizeResult) => (r.ok ? r.value : `!${r.rule}`);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('email', () => {
  it.each([
    ['  Kim.MinSu@Example.COM ', 'kim.minsu@example.com'],
    ['a+tag@sub.example.co.kr', 'a+tag@sub.example.co.kr'],
    ['\uFEFFuser@example.com', 'user@example.com'], // BOM of a CSV's first cell
    ['user@xn--3e0b707e.kr', 'user@xn--3e0b707e.kr'],
    ['사용자@한국.kr', '사용자@한국.kr'],
  ])('%j → %j', (raw, expected) => {
    expect(value(normalizeIdentity(EMAIL, raw))).toBe(expected);
  });

  it.each(['', '   ', 'no-at-sign', 'a@b', '@example.com', 'a@@example.com', 'two words@example.com', 'a@example.c', 'a@-x.com', `${'a'.repeat(250)}@example.com`])(
    'refuses %j',
    (raw) => {
      const r = normalizeIdentity(EMAIL, raw);
      expect(r.ok).toBe(false);
    },
  );

  it('names the rule: required for empty, email for malformed, max_length for too long', () => {
    expect(value(normalizeIdentity(EMAIL, ' '))).toBe('!required');
    expect(value(normalizeIdentity(EMAIL, 'nope'))).toBe('!email');
    expect(value(normalizeIdentity(EMAIL, `${'a'.repeat(250)}@example.com`))).toBe('!max_length');
  });

  it('uses the plain email rule for a custom email namespace', () => {
    expect(value(normalizeIdentity(ns('Crm_Email', 'email'), ' A@B.CO '))).toBe('a@b.co');
  });
});

describe('hashed email and phone', () => {
  const digest = sha256('kim@example.com');

  it.each([EMAIL_SHA, PHONE_SHA])('%j takes exactly 64 hex chars, lowercased', (n) => {
    expect(value(normalizeIdentity(n, digest))).toBe(digest);
    expect(value(normalizeIdentity(n, ` ${digest.toUpperCase()} `))).toBe(digest);
  });

  it.each([
    ['63 chars', digest.slice(1)],
    ['65 chars', digest + 'a'],
    ['MD5', 'd41d8cd98f00b204e9800998ecf8427e'],
    ['non-hex', 'g'.repeat(64)],
    ['the plain email', 'kim@example.com'],
    ['the plain phone', '+821012345678'],
  ])('refuses %s with rule sha256', (_label, raw) => {
    expect(value(normalizeIdentity(EMAIL_SHA, raw))).toBe('!sha256');
    expect(value(normalizeIdentity(PHONE_SHA, raw))).toBe('!sha256');
  });
});

describe('phone (default country KR, E.164 out)', () => {
  // What a Korean advertiser's CRM export holds, and what every one of them means.
  it.each([
    ['010-1234-5678', '+821012345678'],
    ['01012345678', '+821012345678'],
    ['010 1234 5678', '+821012345678'],
    ['010.1234.5678', '+821012345678'],
    ['(010) 1234-5678', '+821012345678'],
    ['1012345678', '+821012345678'], // Excel dropped the leading 0
    ['+82 10-1234-5678', '+821012345678'],
    ['+82-010-1234-5678', '+821012345678'], // trunk 0 kept after the country code
    ['+821012345678', '+821012345678'],
    ['821012345678', '+821012345678'], // Meta-style digits with country code, no +
    ['82-10-1234-5678', '+821012345678'],
    ['０１０-１２３４-５６７８', '+821012345678'], // full-width digits from Korean IMEs
    ['011-234-5678', '+82112345678'], // old 01X mobile prefix
    ['02-123-4567', '+8221234567'], // Seoul landline
    ['031-123-4567', '+82311234567'],
    ['1588-1234', '+8215881234'], // nationwide business number
  ])('Korean %j → %s', (raw, expected) => {
    expect(value(normalizeIdentity(PHONE, raw))).toBe(expected);
    expect(value(normalizeIdentity(PHONE_E164, raw))).toBe(expected);
  });

  it.each([
    ['+1 415 555 2671', '+14155552671'], // stays US
    ['+1 (415) 555-2671', '+14155552671'],
    ['14155552671', '+14155552671'], // international with country code, no +
    ['+44 20 7946 0958', '+442079460958'],
    ['442079460958', '+442079460958'],
    ['+81 90-1234-5678', '+819012345678'],
    ['001-1-415-555-2671', '+14155552671'], // Korean international dialling prefix 001
  ])('international %j → %s', (raw, expected) => {
    expect(value(normalizeIdentity(PHONE, raw))).toBe(expected);
  });

  it.each([
    '',
    'abc',
    '1234',
    '010-1234',
    '010-1234-56789',
    '01012345678901',
    '+82 10 1234 56789',
    '+1 415 555 267',
    '010-1234-5678(집)',
    'tel:+821012345678',
    'call 010-1234-5678',
    '0099-12345',
  ])('refuses %j', (raw) => {
    const r = normalizeIdentity(PHONE, raw);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.rule).toBe(raw === '' ? 'required' : 'phone');
  });

  it('refuses extensions (E.164 has none)', () => {
    const r = normalizeIdentity(PHONE, '02-123-4567 ext. 12');
    expect(r).toMatchObject({ ok: false, rule: 'phone' });
    if (!r.ok) expect(r.message).toMatch(/extension/);
  });

  it('does not read a domestic number starting with 0 as international', () => {
    // 0 + 44… is not valid in Korea; it must not become +44…
    expect(value(normalizeIdentity(PHONE, '0442079460958'))).toBe('!phone');
  });
});

describe('device ids (GAID, IDFA, any device namespace)', () => {
  const id = '3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

  it.each([GAID, IDFA, ns('Custom_ADID', 'device')])('%j lowercases an uppercase UUID and keeps hyphens', (n) => {
    expect(value(normalizeIdentity(n, ` ${id.toUpperCase()} `))).toBe(id);
    expect(value(normalizeIdentity(n, id))).toBe(id);
  });

  it.each([
    ['without hyphens', id.replace(/-/g, '')],
    ['braced', `{${id}}`],
    ['too short', id.slice(0, -1)],
    ['non-hex', id.replace('3', 'z')],
    ['a SHA-256 (ids are never hashed)', sha256(id)],
    ['all zeros (limit ad tracking)', '00000000-0000-0000-0000-000000000000'],
  ])('refuses %s with rule device_id', (_label, raw) => {
    expect(value(normalizeIdentity(GAID, raw))).toBe('!device_id');
  });
});

describe('app user id (Kakao)', () => {
  it.each([
    ['1234567890', '1234567890'],
    [' 42 ', '42'],
    ['007', '7'],
    ['9223372036854775807', '9223372036854775807'],
  ])('%j → %j', (raw, expected) => {
    expect(value(normalizeIdentity(APP_USER, raw))).toBe(expected);
  });

  it.each(['0', '000', '-12', '12.0', '1.2E+11', 'abc', '12 34', '9223372036854775808', '99999999999999999999'])('refuses %j', (raw) => {
    expect(value(normalizeIdentity(APP_USER, raw))).toBe('!app_user_id');
  });

  it('applies only to the standard AppUserId code; a custom cross-device namespace takes any id', () => {
    expect(value(normalizeIdentity(ns('Crm_Id', 'cross_device'), ' CRM-00042 '))).toBe('CRM-00042');
  });
});

describe('partner id', () => {
  it('trims and keeps case', () => {
    expect(value(normalizeIdentity(PARTNER, '  AbC-123:xyz  '))).toBe('AbC-123:xyz');
  });
  it('takes 256 characters, refuses 257', () => {
    expect(value(normalizeIdentity(PARTNER, 'x'.repeat(256)))).toBe('x'.repeat(256));
    expect(value(normalizeIdentity(PARTNER, 'x'.repeat(257)))).toBe('!max_length');
  });
  it('refuses empty values and control characters', () => {
    expect(value(normalizeIdentity(PARTNER, ' \t '))).toBe('!required');
    expect(value(normalizeIdentity(PARTNER, 'ab\tcd'))).toBe('!control_characters');
    expect(value(normalizeIdentity(PARTNER, 'ab\ncd'))).toBe('!control_characters');
    expect(value(normalizeIdentity(PARTNER, 'ab\u0000cd'))).toBe('!control_characters');
  });
});

describe('cookie, cross-device and non-people ids', () => {
  it.each(['cookie', 'cross_device', 'non_people'] as const)('%s: trimmed, non-empty, ≤ 1024', (type) => {
    const n = ns('Custom', type);
    expect(value(normalizeIdentity(n, '  Abc\tDef  '))).toBe('Abc\tDef');
    expect(value(normalizeIdentity(n, ''))).toBe('!required');
    expect(value(normalizeIdentity(n, 'x'.repeat(1024)))).toBe('x'.repeat(1024));
    expect(value(normalizeIdentity(n, 'x'.repeat(1025)))).toBe('!max_length');
  });
});

describe('isStitchable', () => {
  it('is false only for partner_id and non_people', () => {
    const types: NamespaceType[] = ['cookie', 'cross_device', 'device', 'email', 'phone', 'non_people', 'partner_id'];
    expect(Object.fromEntries(types.map((t) => [t, isStitchable(t)]))).toEqual({
      cookie: true,
      cross_device: true,
      device: true,
      email: true,
      phone: true,
      non_people: false,
      partner_id: false,
    });
  });
});

describe('standard namespaces and speed', () => {
  it('every standard namespace has a rule', () => {
    for (const s of STANDARD_NAMESPACES) expect(typeof identityNormalizer(s)).toBe('function');
    expect(STANDARD_NAMESPACES.find((s) => s.code === 'AppUserId')?.type).toBe('cross_device');
  });

  it('normalises 100k emails and device ids well under a second each', () => {
    for (const [n, v] of [
      [EMAIL, ' Kim.MinSu@Example.COM '],
      [GAID, '3F1B2C4D-5E6F-4A7B-8C9D-0E1F2A3B4C5D'],
    ] as const) {
      const f = identityNormalizer(n);
      const start = process.hrtime.bigint();
      for (let i = 0; i < 100_000; i++) f(v);
      expect(Number(process.hrtime.bigint() - start) / 1e6).toBeLessThan(1000);
    }
  });
});
