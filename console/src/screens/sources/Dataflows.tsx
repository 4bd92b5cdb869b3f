/** Dataflows of the account: connection, folder and pattern, target dataset, schedule, next run. */
import { Anchor, Group, Loader, Stack } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import type { TFunction } from 'i18next';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { ProblemAlert } from '../../ui/Problem';
import { StatusBadge } from '../../ui/StatusBadge';
import { useConnections } from './Connections';
import { ns } from './i18n';
import type { Dataflow, DatasetSummary, Schedule } from './types';

export function useDatasets() {
  return useQuery({ queryKey: ['datasets'], queryFn: () => unwrap<{ items: DatasetSummary[] }>(api.GET('/v1/datasets', { params: { query: { limit: 500 } } })) });
}

export function scheduleText(t: TFunction, s: Schedule): string {
  const base = t(`frequency.${s.frequency}`, { count: s.interval ?? 1 });
  return s.startAt ? `${base} · ${formatDate(s.startAt)}` : base;
}

export function Dataflows() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const flows = useQuery({ queryKey: ['dataflows'], queryFn: () => unwrap<{ items: Dataflow[] }>(api.GET('/v1/dataflows')) });
  const connections = useConnections();
  const datasets = useDatasets();
  const connName = (id: string) => connections.data?.items.find((c) => c.id === id)?.name ?? id;
  const dsName = (id: string) => datasets.data?.items.find((d) => d.id === id)?.name ?? id;
  const columns: ColumnDef<Dataflow>[] = [
    { accessorKey: 'name', header: t('common:name'), cell: (c) => <Anchor component={Link} to={`/sources/dataflows/${c.row.original.id}`}>{c.row.original.name}</Anchor> },
    { id: 'connection', accessorFn: (f) => connName(f.connectionId), header: t('connection') },
    { id: 'files', accessorFn: (f) => `${f.folder} · ${f.pattern}`, header: t('files'), cell: (c) => <code>{c.getValue<string>()}</code> },
    { id: 'dataset', accessorFn: (f) => dsName(f.datasetId), header: t('dataset') },
    { id: 'schedule', accessorFn: (f) => scheduleText(t, f.schedule), header: t('schedule') },
    { accessorKey: 'enabled', header: t('common:status'), cell: (c) => <StatusBadge tone={c.getValue() ? 'success' : 'neutral'}>{c.getValue() ? t('enabled') : t('disabled')}</StatusBadge> },
    { accessorKey: 'nextRunAt', header: t('nextRun'), cell: (c) => formatDate(c.getValue<string | null>()) },
    { accessorKey: 'createdAt', header: t('common:created'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  return (
    <Stack>
      <Group justify="flex-end">
        <GuardedButton permission="connections.write" onClick={() => void navigate('/sources/dataflows/new')}>{t('newDataflow')}</GuardedButton>
      </Group>
      <ProblemAlert error={flows.error} />
      {flows.isPending ? <Loader aria-label={t('common:loading')} /> : <DataTable label={t('dataflows')} data={flows.data?.items ?? []} columns={columns} />}
    </Stack>
  );
}
