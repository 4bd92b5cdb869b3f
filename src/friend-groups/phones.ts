/**
 * Phone numbers of friend group files (친구그룹). Kakao: "전화번호는 01X로 시작하는 번호를 등록하되,
 * 해외 전화번호는 반드시 국가번호를 함께 입력" — KakaoTalk accounts hang off mobile numbers, so:
 * - Korean numbers must be mobile numbers 010, 011, 016, 017, 018 or 019, written domestically
 *   (`010-1234-5678`, `01012345678`, `1012345678` after Excel dropped the 0) or with the country
 *   code (`+82 10-1234-5678`, `82 10 1234 5678`). Landlines (`02-…`, `031-…`), 070 internet phones
 *   and 050 numbers fail with rule `not_mobile`.
 * - Other countries need their country code: `+1 415 555 2671`, `+44 7911 123456`, also without
 *   the plus (`14155552671`) or after a Korean international prefix (`001 1 415 555 2671`,
 *   `002…`, `00700…`: what is dialled from Korea). The number must be a mobile number of that
 *   country (or one whose type the country does not distinguish, as in the US); fixed lines,
 *   toll-free and premium numbers fail with `not_mobile`.
 * - Anything else (too short, letters, no such number range) fails with `phone_invalid`.
 * Reading and validity are `normalizePhone`'s (src/namespaces/identity.ts), one rule for datasets
 * and friends, including every 010 + 8 digits as a mobile where the library's metadata lacks it.
 * Valid numbers become E.164 (`+821012345678`), the universe's phone node value.
 */
import { normalizePhone, NormalizeResult, phoneKind } from '../namespaces/identity';

const PHONE_INVALID_MESSAGE =
  'Not a valid phone number: register Korean mobile numbers starting with 01X (010-1234-5678) and international numbers with their country code (+1 415 555 2671)';
const KR_MOBILE = /^1[016789]/;
const MOBILE_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

const NOT_KR_MOBILE: NormalizeResult = Object.freeze({
  ok: false as const,
  rule: 'not_mobile',
  message: 'Not a mobile number: register Korean numbers starting with 01X (010, 011, 016, 017, 018, 019); landlines (02-…, 031-…) and 070/050 numbers cannot be KakaoTalk friends',
});
const NOT_INTL_MOBILE: NormalizeResult = Object.freeze({
  ok: false as const,
  rule: 'not_mobile',
  message: 'Not a mobile number of its country (a landline, toll-free or premium number); register the mobile number with its country code, e.g. +1 415 555 2671',
});

export function normalizeFriendPhone(raw: string): NormalizeResult {
  const r = normalizePhone(raw);
  if (!r.ok) {
    if (r.rule !== 'phone') return r;
    // Same rule name for every unreadable number; the extension case keeps its own advice.
    return { ok: false, rule: 'phone_invalid', message: r.message.startsWith('Remove the extension') ? r.message : PHONE_INVALID_MESSAGE };
  }
  // The namespaces' phone rule decides validity (and knows all of 010); this only asks "mobile?".
  const kind = phoneKind(r.value);
  if (!kind) return r;
  if (kind.countryCallingCode === '82') return KR_MOBILE.test(kind.nationalNumber) && kind.type === 'MOBILE' ? r : NOT_KR_MOBILE;
  return MOBILE_TYPES.has(kind.type ?? '') ? r : NOT_INTL_MOBILE;
}
