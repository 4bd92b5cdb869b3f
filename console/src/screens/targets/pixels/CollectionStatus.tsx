/** 수집현황: 수집 전 / 수집중 and when the latest event came in. */
import { Group, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../../i18n';
import { StatusBadge } from '../../../ui/StatusBadge';
import { ns } from './i18n';
import type { CollectionStatus as Status } from './types';

export function CollectionStatus({ status, lastEventAt }: { status: Status; lastEventAt: string | null }) {
  const { t } = useTranslation(ns);
  return (
    <Group gap={6} wrap="nowrap" data-testid="collection-status" data-status={status} data-last-event={lastEventAt ?? ''}>
      <StatusBadge tone={status === 'COLLECTION' ? 'success' : 'neutral'}>{t(`statuses.${status}`)}</StatusBadge>
      <Text size="xs">{lastEventAt ? t('lastEvent', { at: formatDate(lastEventAt) }) : t('noEvent')}</Text>
    </Group>
  );
}
