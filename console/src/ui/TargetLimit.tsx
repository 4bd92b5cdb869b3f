/**
 * `n / 30`: how many targets of a kind the ad account has against the per-kind limit, as GET
 * /v1/targets answers them (`limit`, `counts`). Screens invalidate ['targets'] after a create or a
 * delete, so the number follows.
 */
import { Group, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { formatNumber, translations } from '../i18n';

export type TargetKind = 'customer_file' | 'friend_group' | 'ad_response' | 'pixel' | 'mat' | 'lookalike';

export const targetLimitNs = translations('targetLimit', {
  ko: { count: '{{count}} / {{limit}}', label: '광고계정당 최대 {{limit}}개 중 {{count}}개', full: '광고계정당 최대 {{limit}}개까지 만들 수 있습니다. 기존 타겟을 삭제한 뒤 다시 시도해 주세요.' },
  en: { count: '{{count}} / {{limit}}', label: '{{count}} of at most {{limit}} per ad account', full: 'An ad account can have at most {{limit}}. Delete one and try again.' },
});

export function useTargetLimit(kind: TargetKind) {
  const q = useQuery({
    queryKey: ['targets', 'limit', kind],
    queryFn: () => unwrap<{ limit: number; counts: Record<TargetKind, number> }>(api.GET('/v1/targets', { params: { query: { kind } } })),
  });
  const count = q.data?.counts[kind];
  const limit = q.data?.limit;
  return { count, limit, full: count !== undefined && limit !== undefined && count >= limit };
}

export function TargetLimit({ kind }: { kind: TargetKind }) {
  const { t } = useTranslation(targetLimitNs);
  const { count, limit } = useTargetLimit(kind);
  if (count === undefined || limit === undefined) return null;
  const values = { count: formatNumber(count), limit: formatNumber(limit) };
  return (
    <Text size="sm" fw={500} data-testid="target-limit" aria-label={t('label', values)} title={t('label', values)}>
      {t('count', values)}
    </Text>
  );
}

/** Why creating one more is refused, or undefined. */
export function useLimitReason(kind: TargetKind): string | undefined {
  const { t } = useTranslation(targetLimitNs);
  const { full, limit } = useTargetLimit(kind);
  return full ? t('full', { limit: formatNumber(limit) }) : undefined;
}

/** A target list's heading: its title with `n / 30`, and the intro under it. */
export function TargetListTitle({ kind, title, intro }: { kind: TargetKind; title: string; intro: string }) {
  return (
    <div>
      <Group gap="xs">
        <Text fw={600}>{title}</Text>
        <TargetLimit kind={kind} />
      </Group>
      <Text size="sm" c="dimmed">{intro}</Text>
    </div>
  );
}
