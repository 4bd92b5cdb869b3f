/**
 * Normalisation and validation of identity VALUES per namespace. Pure and synchronous: ingestion
 * runs it for millions of rows, so every regular expression is compiled once at module load, failures
 * are shared frozen objects, and `identityNormalizer(ns)` lets a caller resolve the rule once per
 * column and then call it per row.
 *
 * Rules (what Meta/Google/Kakao expect of uploaded identifiers):
 * - email: trim, lowercase, basic shape `local@domain.tld`, ≤ 254 chars. No provider-specific
 *   rewriting (e.g. Gmail dots): that belongs to a destination, not to the identity.
 * - hashed namespaces (`Email_LC_SHA256`, `Phone_SHA256_E.164`): exactly 64 hex chars, lowercased.
 *   We never hash here: a hashed namespace holds values hashed by the sender.
 * - phone: E.164 via libphonenumber-js with `max` metadata (real validity per number range), default
 *   country KR, so `010-1234-5678`, `01012345678`, `1012345678` (Excel dropped the 0), `+82 10-…` and
 *   `821012345678` all give `+821012345678`. A number without `+` that is not a valid Korean number
 *   and does not start with the trunk prefix 0 is read once more as international with its country
 *   code (`14155552671` → `+14155552671`), as Kakao's friend-group upload accepts "international
 *   numbers with country code". Extensions are refused: E.164 has none and a switchboard number is
 *   not a person. Every `010` + 8 digits (and `+82 10` + 8) is a valid Korean mobile by our own rule:
 *   the library's Korean metadata (still in 1.13.16, the newest) leaves 010-5970 … 010-5999 out.
 * - device ids (GAID, IDFA, any `device` namespace): lowercase UUID 8-4-4-4-12 with hyphens, never
 *   hashed. 32 hex chars without hyphens are refused rather than re-hyphenated, because that is the
 *   shape of an MD5-hashed ad id and would silently become a wrong id. The all-zero id is refused: it
 *   is what iOS/Android report when the user limited ad tracking, so it identifies nobody
 *   (`isLimitedAdTrackingId` tells it apart, for callers that ignore such a device instead).
 * - app user id (`AppUserId`): Kakao app user ids are positive 64-bit integers. ASCII digits only,
 *   leading zeros dropped (`007` and `7` are the same user), 1 … 9223372036854775807.
 * - partner_id: trimmed, non-empty, ≤ 256 chars, no control characters (vendor ids end up in files
 *   sent to other vendors).
 * - cookie, cross_device, non_people: trimmed, non-empty, ≤ 1024 chars.
 * Custom namespaces use the rule of their type (a custom `email` namespace gets the plain email rule).
 */
import { parsePhoneNumberFromString, type PhoneNumber, type PhoneNumberType } from 'libphonenumber-js/max';
import type { NamespaceType } from './types';

export type NormalizeResult = { ok: true; value: string } | { ok: false; rule: string; message: string };
export type IdentityNormalizer = (raw: string) => NormalizeResult;

/** The minimum a caller needs to know about a namespace to normalise its values. */
export interface NamespaceRuleInput {
  code: string;
  type: NamespaceType;
}

export const DEFAULT_PHONE_COUNTRY = 'KR';
export const EMAIL_MAX_LENGTH = 254;
export const PARTNER_ID_MAX_LENGTH = 256;
export const GENERIC_ID_MAX_LENGTH = 1024;

/** Standard codes whose values are SHA-256 hex digests (Adobe's symbols). */
export const HASHED_CODES: ReadonlySet<string> = new Set(['Email_LC_SHA256', 'Phone_SHA256_E.164']);
export const APP_USER_ID_CODE = 'AppUserId';

const NOT_STITCHABLE: ReadonlySet<NamespaceType> = new Set<NamespaceType>(['partner_id', 'non_people']);

/** Partner ID and non-people identifiers never join an identity graph (Adobe builds none for them). */
export function isStitchable(type: NamespaceType): boolean {
  return !NOT_STITCHABLE.has(type);
}

// ---- compiled once -------------------------------------------------------------------------

// Local part: anything but whitespace, control characters, `@` and the few characters that need
// quoting; domain: dot-separated labels (letters of any script allowed, or punycode) and a TLD.
const EMAIL_RE =
  /^[^\s@"(),:;<>[\\\]\p{Cc}]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[a-z0-9-]{1,59})$/u;
const SHA256_RE = /^[0-9a-fA-F]{64}$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HEX32_RE = /^[0-9a-fA-F]{32}$/;
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';
const DIGITS_RE = /^[0-9]+$/;
const LEADING_ZEROS_RE = /^0+/;
const CONTROL_RE = /\p{Cc}/u;
const MAX_INT64 = '9223372036854775807';

function fail(rule: string, message: string): NormalizeResult {
  return Object.freeze({ ok: false as const, rule, message });
}

const EMPTY = fail('required', 'The value is empty; remove the row or fill in the identifier');
const EMAIL_INVALID = fail('email', 'Not an email address; expected name@domain.tld');
const EMAIL_TOO_LONG = fail('max_length', `An email address has at most ${EMAIL_MAX_LENGTH} characters`);
const SHA256_INVALID = fail('sha256', 'Expected a SHA-256 digest: exactly 64 hexadecimal characters (hash the normalised value first)');
const PHONE_INVALID = fail('phone', 'Not a valid phone number; use 010-1234-5678 for Korea or +<country code><number> for other countries');
const PHONE_EXTENSION = fail('phone', 'Remove the extension: an E.164 phone number has none');
const DEVICE_INVALID = fail('device_id', 'Expected an advertising id in UUID form 8-4-4-4-12 hex digits (e.g. 3f1b2c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d)');
const DEVICE_NO_HYPHENS = fail('device_id', 'Advertising ids keep their hyphens (8-4-4-4-12); 32 hex digits without hyphens look like a hashed id, which this namespace does not take');
const DEVICE_ZERO = fail('device_id', 'The all-zero advertising id means the user limited ad tracking; it identifies nobody, drop the row');
const APP_USER_ID_INVALID = fail('app_user_id', 'An app user id is a positive whole number (digits only, at most 9223372036854775807)');
const PARTNER_ID_TOO_LONG = fail('max_length', `A partner id has at most ${PARTNER_ID_MAX_LENGTH} characters`);
const PARTNER_ID_CONTROL = fail('control_characters', 'A partner id may not contain control characters (tabs, line breaks …)');
const GENERIC_TOO_LONG = fail('max_length', `An identifier has at most ${GENERIC_ID_MAX_LENGTH} characters`);

const ok = (value: string): NormalizeResult => ({ ok: true, value });

// ---- the rules ---------------------------------------------------------------------------

export function normalizeEmail(raw: string): NormalizeResult {
  const v = raw.trim().toLowerCase();
  if (v.length === 0) return EMPTY;
  if (v.length > EMAIL_MAX_LENGTH) return EMAIL_TOO_LONG;
  return EMAIL_RE.test(v) ? ok(v) : EMAIL_INVALID;
}

export function normalizeSha256(raw: string): NormalizeResult {
  const v = raw.trim();
  if (v.length === 0) return EMPTY;
  return SHA256_RE.test(v) ? ok(v.toLowerCase()) : SHA256_INVALID;
}

const PHONE_OPTIONS = { defaultCountry: DEFAULT_PHONE_COUNTRY, extract: false } as const;

// Korea's numbering plan gives all of 010 to mobiles (010-XXXX-XXXX); the metadata's mobile
// pattern excludes 10-597x … 10-599x, so real numbers there would be refused.
const KR_010_MOBILE_RE = /^10\d{8}$/;

function isKorean010Mobile(p: PhoneNumber): boolean {
  return p.countryCallingCode === '82' && KR_010_MOBILE_RE.test(p.nationalNumber);
}

function isValidPhone(p: PhoneNumber | undefined): p is PhoneNumber {
  return p !== undefined && (isKorean010Mobile(p) || p.isValid());
}

export function normalizePhone(raw: string): NormalizeResult {
  const v = raw.trim();
  if (v.length === 0) return EMPTY;
  let parsed = parsePhoneNumberFromString(v, PHONE_OPTIONS);
  if (!isValidPhone(parsed) && v.charCodeAt(0) !== 43 /* + */) {
    // Not Korean: read as international with its country code, unless it starts with the trunk
    // prefix 0 (then it was meant as a domestic number and is simply wrong).
    const first = firstDigit(v);
    if (first !== -1 && first !== 0) {
      const intl = parsePhoneNumberFromString('+' + v, PHONE_OPTIONS);
      if (isValidPhone(intl)) parsed = intl;
    }
  }
  if (!isValidPhone(parsed)) return PHONE_INVALID;
  if (parsed.ext) return PHONE_EXTENSION;
  return ok(parsed.number);
}

export interface PhoneKind {
  countryCallingCode: string;
  nationalNumber: string;
  /** MOBILE, FIXED_LINE, FIXED_LINE_OR_MOBILE, VOIP …; undefined when the metadata cannot tell. */
  type: PhoneNumberType | undefined;
}

/** What kind of number an E.164 value from `normalizePhone` is, with the same 010 rule. */
export function phoneKind(e164: string): PhoneKind | undefined {
  const p = parsePhoneNumberFromString(e164);
  if (!p) return undefined;
  return { countryCallingCode: p.countryCallingCode, nationalNumber: p.nationalNumber, type: isKorean010Mobile(p) ? 'MOBILE' : p.getType() };
}

/** Value of the first ASCII or full-width digit, or -1 when a non-separator comes first. */
function firstDigit(v: string): number {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 48 && c <= 57) return c - 48;
    if (c >= 0xff10 && c <= 0xff19) return c - 0xff10;
    if (c === 32 || c === 40 || c === 45 || c === 46) continue; // space ( - .
    return -1;
  }
  return -1;
}

/**
 * The all-zero advertising id (any case, surrounding blanks): what a device with ad tracking
 * limited reports. Device id namespaces refuse it; postbacks ignore and count it.
 */
export function isLimitedAdTrackingId(raw: string): boolean {
  return raw.trim() === ZERO_UUID;
}

export function normalizeDeviceId(raw: string): NormalizeResult {
  const v = raw.trim();
  if (v.length === 0) return EMPTY;
  if (!UUID_RE.test(v)) return HEX32_RE.test(v) ? DEVICE_NO_HYPHENS : DEVICE_INVALID;
  return isLimitedAdTrackingId(v) ? DEVICE_ZERO : ok(v.toLowerCase());
}

export function normalizeAppUserId(raw: string): NormalizeResult {
  const v = raw.trim();
  if (v.length === 0) return EMPTY;
  if (!DIGITS_RE.test(v)) return APP_USER_ID_INVALID;
  const n = v.charCodeAt(0) === 48 ? v.replace(LEADING_ZEROS_RE, '') : v;
  if (n.length === 0 || n.length > MAX_INT64.length || (n.length === MAX_INT64.length && n > MAX_INT64)) {
    return APP_USER_ID_INVALID;
  }
  return ok(n);
}

export function normalizePartnerId(raw: string): NormalizeResult {
  const v = raw.trim();
  if (v.length === 0) return EMPTY;
  if (v.length > PARTNER_ID_MAX_LENGTH) return PARTNER_ID_TOO_LONG;
  return CONTROL_RE.test(v) ? PARTNER_ID_CONTROL : ok(v);
}

export function normalizeGenericId(raw: string): NormalizeResult {
  const v = raw.trim();
  if (v.length === 0) return EMPTY;
  return v.length > GENERIC_ID_MAX_LENGTH ? GENERIC_TOO_LONG : ok(v);
}

const BY_TYPE: Readonly<Record<NamespaceType, IdentityNormalizer>> = {
  email: normalizeEmail,
  phone: normalizePhone,
  device: normalizeDeviceId,
  partner_id: normalizePartnerId,
  cookie: normalizeGenericId,
  cross_device: normalizeGenericId,
  non_people: normalizeGenericId,
};

/** Resolve the rule once (per column, per file) and call the returned function per value. */
export function identityNormalizer(ns: NamespaceRuleInput): IdentityNormalizer {
  // Codes are unique per account case-insensitively and every account has the standard ones, so an
  // exact match on the standard symbol can only ever be the standard namespace.
  if (HASHED_CODES.has(ns.code)) return normalizeSha256;
  if (ns.code === APP_USER_ID_CODE) return normalizeAppUserId;
  const byType = BY_TYPE[ns.type];
  if (!byType) throw new Error(`unknown namespace type ${String(ns.type)}`);
  return byType;
}

export function normalizeIdentity(ns: NamespaceRuleInput, raw: string): NormalizeResult {
  return identityNormalizer(ns)(raw);
}
