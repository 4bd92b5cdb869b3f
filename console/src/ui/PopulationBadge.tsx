/**
 * 타겟 모수 as the Kakao screens show it: one badge for every kind of first-party target, in the seed's
 * words — 준비중 / the number / 모수부족 / 생성실패 (고객파일: 등록실패) / 조회중 / 조회실패 — and the
 * lookalike states 사용가능 / 준비중 / 사용불가 / 모수부족. The state's meaning (and the API's error,
 * if any) is the badge's tooltip; `populationBlocker` says why a target cannot be picked yet.
 * The population is the API's PopulationView (src/populations/service.ts).
 */
import { Group, Text, Tooltip } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber, translations } from '../i18n';
import { StatusBadge, Tone } from './StatusBadge';

export type PopulationState = 'preparing' | 'ready' | 'too_small' | 'failed' | 'querying' | 'query_failed';

/** src/populations/service.ts PopulationView. */
export interface Population {
  state: PopulationState;
  label: string;
  count: number | null;
  minimum: number;
  usable: boolean;
  error: string | null;
  refreshedAt: string | null;
  nextRefreshAt: string;
}

/** src/lookalikes/service.ts LookalikeStatus. */
export type LookalikeStatus = 'STANDBY' | 'AVAILABLE' | 'SEED_NOT_ENOUGH' | 'ERROR';

export const populationNs = translations('population', {
  ko: {
    state: { preparing: '준비중', too_small: '모수부족', failed: '생성실패', registrationFailed: '등록실패', querying: '조회중', query_failed: '조회실패' },
    people: '{{n}}명',
    kept: '최근 모수 {{count}}',
    meaning: {
      preparing: '모수 추출 이전 단계입니다. 추출이 끝나면 숫자로 바뀝니다.',
      ready: '추출된 카카오 사용자 수입니다. {{at}} 기준',
      too_small: '모수가 최소 {{minimum}}명보다 적습니다({{count}}명). 맞춤타겟으로 쓸 수 있지만 노출이 적을 수 있습니다.',
      failed: '모수 생성에 실패했습니다. 삭제 후 다시 만들어 주세요.',
      registrationFailed: '고객파일 등록에 실패했습니다. 삭제 후 다시 등록해 주세요.',
      querying: '추출된 모수를 다시 조회하고 있습니다. 최근 모수를 그대로 씁니다.',
      query_failed: '모수 조회에 실패했습니다. 일시적인 현상이니 새로고침해 주세요. 최근 모수를 그대로 씁니다.',
    },
    blocked: {
      preparing: '준비중인 타겟은 모수 추출이 끝난 뒤 선택할 수 있습니다.',
      failed: '생성실패한 타겟은 쓸 수 없습니다. 삭제 후 다시 만들어 주세요.',
      registrationFailed: '등록실패한 고객파일은 쓸 수 없습니다. 삭제 후 다시 등록해 주세요.',
    },
    reason: '사유: {{error}}',
    lookalike: {
      AVAILABLE: '사용가능',
      STANDBY: '준비중',
      ERROR: '사용불가',
      SEED_NOT_ENOUGH: '모수부족',
      meaning: {
        AVAILABLE: '유사타겟을 맞춤타겟으로 쓸 수 있습니다.',
        STANDBY: '유사타겟을 만들고 있습니다. 생성 요청 후 최대 24시간 걸릴 수 있습니다.',
        ERROR: '일시적인 시스템 문제로 타겟을 만들 수 없습니다. 삭제한 뒤 다시 등록해 주세요.',
        SEED_NOT_ENOUGH: '만들어진 모수가 1,000명 미만입니다. SEED 모수를 늘린 뒤 다시 만들어 주세요.',
      },
    },
  },
  en: {
    state: { preparing: 'Preparing', too_small: 'Too small', failed: 'Failed', registrationFailed: 'Registration failed', querying: 'Querying', query_failed: 'Query failed' },
    people: '{{n}} people',
    kept: 'last count {{count}}',
    meaning: {
      preparing: 'Not counted yet. The number appears once counting finishes.',
      ready: 'Kakao users counted, as of {{at}}',
      too_small: 'Fewer than the minimum of {{minimum}} people ({{count}}). Usable in targeting, but delivery may be poor.',
      failed: 'Counting failed. Delete the target and create it again.',
      registrationFailed: 'The customer file could not be registered. Delete it and upload it again.',
      querying: 'Counting again; the last number is kept meanwhile.',
      query_failed: 'Counting again failed. This is temporary: refresh to try again. The last number is kept.',
    },
    blocked: {
      preparing: 'A target that is preparing can be picked once its population has been counted.',
      failed: 'A failed target cannot be used. Delete it and create it again.',
      registrationFailed: 'A customer file whose registration failed cannot be used. Delete it and upload it again.',
    },
    reason: 'Reason: {{error}}',
    lookalike: {
      AVAILABLE: 'Available',
      STANDBY: 'Preparing',
      ERROR: 'Unavailable',
      SEED_NOT_ENOUGH: 'Too small',
      meaning: {
        AVAILABLE: 'The lookalike can be used in targeting.',
        STANDBY: 'The lookalike is being built; this can take up to 24 hours after the request.',
        ERROR: 'The target could not be built because of a system problem. Delete it and create it again.',
        SEED_NOT_ENOUGH: 'The result has fewer than 1,000 people. Grow the seed and build it again.',
      },
    },
  },
});

const TONES: Record<PopulationState, Tone> = { preparing: 'neutral', ready: 'success', too_small: 'warning', failed: 'danger', querying: 'active', query_failed: 'danger' };
const LOOKALIKE_TONES: Record<LookalikeStatus, Tone> = { AVAILABLE: 'success', STANDBY: 'neutral', ERROR: 'danger', SEED_NOT_ENOUGH: 'warning' };

/** `registration`: a customer file says 등록실패 where other kinds say 생성실패. */
type FailedAs = 'creation' | 'registration';

function stateKey(state: PopulationState, failedAs: FailedAs): string {
  return state === 'failed' && failedAs === 'registration' ? 'registrationFailed' : state;
}

/** The badge's text: the number when counted, else the state's word. */
export function usePopulationText() {
  const { t } = useTranslation(populationNs);
  return {
    label: (p: Population, failedAs: FailedAs = 'creation') => (p.state === 'ready' ? formatNumber(p.count) : t(`state.${stateKey(p.state, failedAs)}`)),
    meaning: (p: Population, failedAs: FailedAs = 'creation') =>
      t(`meaning.${stateKey(p.state, failedAs)}`, { at: formatDate(p.refreshedAt), minimum: formatNumber(p.minimum), count: formatNumber(p.count) }),
  };
}

export function PopulationBadge({ population: p, failedAs = 'creation' }: { population: Population; failedAs?: FailedAs }) {
  const { t } = useTranslation(populationNs);
  const text = usePopulationText();
  // 조회중 / 조회실패 keep the last number: show it beside the state.
  const kept = (p.state === 'querying' || p.state === 'query_failed' || p.state === 'too_small') && p.count !== null;
  const tip = [text.meaning(p, failedAs), p.error ? t('reason', { error: p.error }) : ''].filter(Boolean).join(' ');
  return (
    <Tooltip label={tip} multiline w={300} withArrow>
      <Group gap={6} wrap="nowrap" data-testid="population" data-state={p.state} data-count={p.count ?? ''} tabIndex={0} aria-label={`${text.label(p, failedAs)}. ${tip}`}>
        <StatusBadge tone={TONES[p.state]} tt="none">{text.label(p, failedAs)}</StatusBadge>
        {kept && <Text size="xs">{p.state === 'too_small' ? t('people', { n: formatNumber(p.count) }) : t('kept', { count: formatNumber(p.count) })}</Text>}
      </Group>
    </Tooltip>
  );
}

/** Why a target cannot be picked (준비중, 생성실패 / 등록실패), or null when it can. */
export function usePopulationBlocker() {
  const { t } = useTranslation(populationNs);
  return (p: Population, failedAs: FailedAs = 'creation'): string | null => {
    if (p.usable) return null;
    const key = p.state === 'failed' ? (failedAs === 'registration' ? 'registrationFailed' : 'failed') : 'preparing';
    return [t(`blocked.${key}`), p.error ? t('reason', { error: p.error }) : ''].filter(Boolean).join(' ');
  };
}

/** A lookalike's 타겟 상태: 사용가능 / 준비중 / 사용불가 / 모수부족, its meaning (and error) on hover. */
export function LookalikeStatusBadge({ status, error }: { status: LookalikeStatus; error?: string | null }) {
  const { t } = useTranslation(populationNs);
  const tip = [t(`lookalike.meaning.${status}`), error ? t('reason', { error }) : ''].filter(Boolean).join(' ');
  return (
    <Tooltip label={tip} multiline w={300} withArrow>
      <span tabIndex={0} data-testid="lookalike-status" data-status={status} aria-label={`${t(`lookalike.${status}`)}. ${tip}`}>
        <StatusBadge tone={LOOKALIKE_TONES[status]} tt="none">{t(`lookalike.${status}`)}</StatusBadge>
      </span>
    </Tooltip>
  );
}
