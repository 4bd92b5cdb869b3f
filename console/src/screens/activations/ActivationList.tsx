/** Activations: name, destination, audiences, schedule, next run, last updated. */
import { Anchor, Badge, Group, Stack, Text, Title } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { formatDate } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { ProblemAlert } from '../../ui/Problem';
import { useAudiences } from '../audiences/api';
import { useDestinations } from '../destinations/DestinationList';
import { useActivations } from './api';
import { ns } from './i18n';
import type { Activation, ActivationSchedule } from './types';

export function scheduleText(t: (k: string, o?: Record<string, unknown>) => string, s: ActivationSchedule): string {
  return s.type === 'daily' ? t('schedules.daily', { at: s.at }) : t(`schedules.${s.type}`);
}

export function ActivationList() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const list = useActivations();
  const destinations = useDestinations();
  const audiences = useAudiences();
  const destName = (id: string) => destinations.data?.find((d) => d.id === id)?.name ?? id;
  const audName = (id: string) => audiences.data?.find((a) => a.id === id)?.name ?? id;
  const columns: ColumnDef<Activation>[] = [
    { accessorKey: 'name', header: t('common:name'), cell: (c) => <Anchor component={Link} to={`/activations/${c.row.original.id}`}>{c.getValue<string>()}</Anchor> },
    { id: 'destination', accessorFn: (a) => destName(a.destinationId), header: t('destination') },
    { id: 'audiences', accessorFn: (a) => a.audienceIds.map(audName).join(', '), header: t('audiences') },
    { id: 'schedule', accessorFn: (a) => scheduleText(t, a.schedule), header: t('schedule') },
    { accessorKey: 'nextRunAt', header: t('nextRun'), cell: (c) => formatDate(c.getValue<string | null>()) },
    { accessorKey: 'enabled', header: t('common:status'), cell: (c) => <Badge variant="dot" color={c.getValue() ? 'green' : 'gray'}>{c.getValue() ? t('detail.enabled') : t('detail.disabled')}</Badge> },
    { accessorKey: 'updatedAt', header: t('common:updated'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>{t('title')}</Title>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        <GuardedButton permission="activations.write" onClick={() => navigate('/activations/new')}>{t('create')}</GuardedButton>
      </Group>
      <ProblemAlert error={list.error} />
      <DataTable label={t('title')} data={list.data ?? []} columns={columns} />
    </Stack>
  );
}
