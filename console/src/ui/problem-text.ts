/**
 * A problem's words in the console's language. The API writes English (its titles, details and
 * field messages are complete sentences for a developer); in Korean the console words the title by
 * the problem's type and a field finding by its rule and figures (`params`), and keeps the API's own
 * message where no Korean wording says as much — a rule whose message carries specifics the rule
 * alone does not (which schema uses a field group, what a pattern allows) stays in English.
 */
import i18n, { formatNumber, translations } from '../i18n';
import type { ApiProblem, ProblemField } from '../api/client';

const ns = translations('problem', {
  ko: {
    title: {
      'invalid-request': '입력한 내용을 확인해 주세요',
      'rule-violated': '규칙에 맞지 않는 요청입니다',
      unauthorized: '다시 로그인해 주세요',
      forbidden: '이 작업을 할 권한이 없습니다',
      'not-found': '찾을 수 없습니다',
      duplicate: '이미 있습니다',
      conflict: '지금 상태에서는 할 수 없습니다',
      'limit-exceeded': '한도에 도달했습니다',
      'payload-too-large': '파일이 너무 큽니다',
      'unsupported-media-type': '지원하지 않는 파일 형식입니다',
      'policy-violation': '데이터 사용 정책 위반',
      unavailable: '서비스를 잠시 사용할 수 없습니다. 잠시 후 다시 시도해 주세요',
      'rate-limited': '요청이 너무 많습니다. 잠시 후 다시 시도해 주세요',
      internal: '서버 오류가 발생했습니다',
      network: '네트워크 오류',
    },
    details: 'API 메시지',
    rule: {
      required: '필수 항목입니다.',
      unique: '이미 사용 중입니다. 다른 값을 입력하세요.',
      'core-label': '핵심 레이블의 코드입니다. 다른 코드를 입력하세요.',
      'core-marketing-action': '핵심 마케팅 작업의 이름입니다. 다른 이름을 입력하세요.',
      'core-policy': '핵심 정책에서는 바꿀 수 없습니다. 필요하면 새 정책을 만드세요.',
      additionalProperties: '알 수 없는 항목입니다.',
      immutable: '만든 뒤에는 바꿀 수 없습니다.',
      exists: '이 광고계정에서 찾을 수 없습니다.',
      'password-or-key': '비밀번호 또는 OpenSSH 개인 키가 필요합니다.',
      'access-key': '액세스 키 ID와 비밀 액세스 키가 필요합니다.',
      time: 'UTC 시각을 HH:MM 형식으로 입력하세요.',
      'date-time': 'ISO 8601 날짜와 시각을 입력하세요.',
      'min-lead-time': '지금부터 24시간 이후의 시각이어야 합니다.',
      maxLength: '최대 {{limit}}자까지 입력할 수 있습니다.',
      minLength: '{{limit}}자 이상 입력하세요.',
      minLength_empty: '비워 둘 수 없습니다.',
      maxItems: '최대 {{limit}}개까지 선택할 수 있습니다.',
      minItems: '{{limit}}개 이상 선택하세요.',
      minItems_empty: '하나 이상 선택하세요.',
      maximum: '{{limit}} 이하여야 합니다.',
      exclusiveMaximum: '{{limit}}보다 작아야 합니다.',
      minimum: '{{limit}} 이상이어야 합니다.',
      exclusiveMinimum: '{{limit}}보다 커야 합니다.',
      range: '{{min}}~{{max}} 사이의 값이어야 합니다.',
      limit: '광고계정당 최대 {{limit}}개까지 만들 수 있습니다. 하나를 삭제한 뒤 다시 시도하세요.',
      enum: '다음 중 하나여야 합니다: {{values}}',
      format: '{{format}} 형식이 아닙니다.',
      type: '{{type}} 값이어야 합니다.',
    },
    format: { email: '이메일 주소', uri: 'URL', url: 'URL', 'date-time': '날짜·시각(ISO 8601)', date: '날짜(YYYY-MM-DD)', time: '시각', uuid: 'UUID', hostname: '호스트 이름', ipv4: 'IPv4 주소' },
    type: { string: '텍스트', number: '숫자', integer: '정수', boolean: '참/거짓', array: '목록', object: '객체', null: '빈' },
  },
  // English is the API's own wording.
  en: {},
});

/** Rules spelled two ways by different services, and the one wording each shares. */
const SAME_RULE: Record<string, string> = { 'max-items': 'maxItems', 'min-items': 'minItems' };

function problemCode(p: ApiProblem): string {
  if (p.status === 0) return 'network';
  const type = typeof p.body.type === 'string' ? p.body.type : '';
  return type.startsWith('urn:cdp:problem:') ? type.slice('urn:cdp:problem:'.length) : p.status >= 500 ? 'internal' : '';
}

const korean = () => i18n.resolvedLanguage === 'ko';
const t = (key: string, options?: Record<string, unknown>) => i18n.t(`${ns}:${key}`, options ?? {});

/** The alert's title: the problem's type worded in the console's language, else the API's title. */
export function problemTitle(p: ApiProblem): string {
  const code = problemCode(p);
  return korean() && code && i18n.exists(`${ns}:title.${code}`) ? t(`title.${code}`) : p.title;
}

/** A field finding in the console's language, or the API's message where no wording says as much. */
export function fieldMessage(e: ProblemField): string {
  if (!korean()) return e.message;
  const rule = SAME_RULE[e.rule] ?? e.rule;
  const params = e.params ?? {};
  const limit = typeof params.limit === 'number' ? params.limit : undefined;
  switch (rule) {
    case 'maxLength': case 'maxItems': case 'maximum': case 'exclusiveMaximum': case 'minimum': case 'exclusiveMinimum': case 'limit':
      return limit === undefined ? e.message : t(`rule.${rule}`, { limit: formatNumber(limit) });
    case 'minLength': case 'minItems':
      return limit === undefined || limit <= 1 ? t(`rule.${rule}_empty`) : t(`rule.${rule}`, { limit: formatNumber(limit) });
    case 'range':
      return typeof params.min === 'number' && typeof params.max === 'number' ? t('rule.range', { min: params.min, max: params.max }) : e.message;
    case 'enum':
      return Array.isArray(params.allowedValues) ? t('rule.enum', { values: params.allowedValues.join(', ') }) : e.message;
    case 'format':
      return typeof params.format === 'string' ? t('rule.format', { format: t(`format.${params.format}`, { defaultValue: params.format }) }) : e.message;
    case 'type': {
      if (params.type === undefined) return e.message;
      const types = (Array.isArray(params.type) ? params.type : [params.type]).map((x) => t(`type.${x}`, { defaultValue: String(x) }));
      return t('rule.type', { type: types.join('/') });
    }
    default:
      return i18n.exists(`${ns}:rule.${rule}`) ? t(`rule.${rule}`) : e.message;
  }
}

/** Whether the console worded the problem itself, so the API's English detail is secondary. */
export function wordedHere(p: ApiProblem): boolean {
  return korean() && p.errors.length > 0 && p.errors.every((e) => fieldMessage(e) !== e.message);
}
