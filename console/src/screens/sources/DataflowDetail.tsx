/**
 * One dataflow: what it reads and where it writes, Run now, and its runs (start, duration, files and
 * records received / ingested / failed, status) with each run's files, their batches and errors.
 */
import { Anchor, Card, Group, Loader, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate, formatNumber } from '../../i18n';
import { formatBytes, formatDuration } from '../../ui/format';
import { GuardedButton } from '../../ui/Guarded';
import { ProblemAlert } from '../../ui/Problem';
import { useConnections } from './Connections';
import { scheduleText, useDatasets } from './Dataflows';
import { ns } from './i18n';
import { StatusBadge } from '../../ui/StatusBadge';
import { Dataflow, DataflowRun, RUN_TONES } from './types';

const active = (r: DataflowRun) => r.status === 'queued' || r.status === 'processing';

export function DataflowDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const flow = useQuery({ queryKey: ['dataflows', id], queryFn: () => unwrap<Dataflow>(api.GET('/v1/dataflows/{id}', { params: { path: { id } } })) });
  const runs = useQuery({
    queryKey: ['dataflows', id, 'runs'],
    queryFn: () => unwrap<{ items: DataflowRun[] }>(api.GET('/v1/dataflows/{id}/runs', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data?.items.some(active) ? 1000 : false),
  });
  const runNow = useMutation({
    mutationFn: () => unwrap<DataflowRun>(api.POST('/v1/dataflows/{id}/runs', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['dataflows', id] }),
  });
  const connections = useConnections();
  const datasets = useDatasets();
  const f = flow.data;
  if (flow.error) return <ProblemAlert error={flow.error} />;
  if (!f) return <Loader aria-label={t('common:loading')} />;
  const dataset = datasets.data?.items.find((d) => d.id === f.datasetId);
  const facts: [string, React.ReactNode][] = [
    [t('connection'), connections.data?.items.find((c) => c.id === f.connectionId)?.name ?? f.connectionId],
    [t('folder'), <code key="folder">{f.folder}</code>],
    [t('pattern'), <code key="pattern">{f.pattern}</code>],
    [t('dataset'), <Anchor key="ds" component={Link} to={`/datasets/${f.datasetId}`} size="sm">{dataset?.name ?? f.datasetId}</Anchor>],
    [t('schedule'), scheduleText(t, f.schedule)],
    [t('nextRun'), formatDate(f.nextRunAt)],
    [t('backfill'), f.backfill ? t('enabled') : t('disabled')],
    [t('errorThreshold'), `${f.errorThreshold}%`],
  ];
  return (
    <Stack>
      <Anchor component={Link} to="/sources/dataflows" size="sm">← {t('back')}</Anchor>
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={2}>{f.name}</Title>
          <StatusBadge tone={f.enabled ? 'success' : 'neutral'}>{f.enabled ? t('enabled') : t('disabled')}</StatusBadge>
        </Group>
        <GuardedButton permission="connections.write" onClick={() => runNow.mutate()} loading={runNow.isPending}>{t('runNow')}</GuardedButton>
      </Group>
      <ProblemAlert error={runNow.error} />
      <Card withBorder>
        <SimpleGrid cols={{ base: 2, lg: 4 }} spacing="sm">
          {facts.map(([label, value]) => (
            <div key={label}>
              <Text size="xs" c="dimmed">{label}</Text>
              <Text size="sm" fw={500} component="div" style={{ wordBreak: 'break-all' }}>{value}</Text>
            </div>
          ))}
        </SimpleGrid>
      </Card>
      {f.mapping && Object.keys(f.mapping).length > 0 ? (
        <Text size="sm">{Object.entries(f.mapping).map(([col, path]) => `${col} → ${path || '—'}`).join(' · ')}</Text>
      ) : null}
      <Title order={3} size="h4">{t('runs')}</Title>
      <ProblemAlert error={runs.error} />
      <RunsTable flowId={id} runs={runs.data?.items ?? []} />
    </Stack>
  );
}

function RunsTable({ flowId, runs }: { flowId: string; runs: DataflowRun[] }) {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState<string | null>(null);
  if (runs.length === 0) return <Text size="sm">{t('noRuns')}</Text>;
  const heads = ['started', 'duration', 'common:status', 'filesFound', 'filesIngested', 'filesFailed', 'received', 'ingested', 'failed', 'error'];
  return (
    <Table withTableBorder striped aria-label={t('runs')}>
      <Table.Thead>
        <Table.Tr>
          {heads.map((h) => <Table.Th key={h}>{t(h)}</Table.Th>)}
          <Table.Th>{t('files')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {runs.map((r) => (
          <Fragment key={r.id}>
            <Table.Tr data-testid={`run-${r.id}`}>
              <Table.Td>{formatDate(r.startedAt ?? r.createdAt)}<Text size="xs" c="dimmed">{t(`trigger.${r.trigger}`)}</Text></Table.Td>
              <Table.Td>{formatDuration(r.startedAt, r.finishedAt)}</Table.Td>
              <Table.Td><StatusBadge tone={RUN_TONES[r.status]} data-testid="run-status">{t(`runStatuses.${r.status}`)}</StatusBadge></Table.Td>
              <Table.Td data-testid="run-filesFound">{formatNumber(r.counts.filesFound)}</Table.Td>
              <Table.Td data-testid="run-filesIngested">{formatNumber(r.counts.filesIngested)}</Table.Td>
              <Table.Td data-testid="run-filesFailed">{formatNumber(r.counts.filesFailed)}</Table.Td>
              <Table.Td data-testid="run-input">{formatNumber(r.counts.input)}</Table.Td>
              <Table.Td data-testid="run-output">{formatNumber(r.counts.output)}</Table.Td>
              <Table.Td data-testid="run-failed">{formatNumber(r.counts.failed)}</Table.Td>
              <Table.Td><Text size="sm" maw={280} style={{ wordBreak: 'break-word' }}>{r.error ?? '—'}</Text></Table.Td>
              <Table.Td>
                <Anchor component="button" type="button" size="sm" onClick={() => setOpen(open === r.id ? null : r.id)} aria-expanded={open === r.id}>
                  {t('files')}
                </Anchor>
              </Table.Td>
            </Table.Tr>
            {open === r.id ? (
              <Table.Tr>
                <Table.Td colSpan={heads.length + 1}>
                  <RunFiles flowId={flowId} runId={r.id} live={active(r)} />
                </Table.Td>
              </Table.Tr>
            ) : null}
          </Fragment>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function RunFiles({ flowId, runId, live }: { flowId: string; runId: string; live: boolean }) {
  const { t } = useTranslation([ns, 'common']);
  const run = useQuery({
    queryKey: ['dataflows', flowId, 'runs', runId],
    queryFn: () => unwrap<DataflowRun>(api.GET('/v1/dataflows/{id}/runs/{runId}', { params: { path: { id: flowId, runId } } })),
    refetchInterval: live ? 1000 : false,
  });
  if (run.error) return <ProblemAlert error={run.error} />;
  const files = run.data?.files ?? [];
  if (!run.data) return <Loader size="sm" aria-label={t('common:loading')} />;
  if (files.length === 0) return <Text size="sm">{t('common:empty')}</Text>;
  return (
    <Table aria-label={`${t('files')} ${runId}`}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('files')}</Table.Th>
          <Table.Th>{t('size')}</Table.Th>
          <Table.Th>{t('common:status')}</Table.Th>
          <Table.Th>{t('batch')}</Table.Th>
          <Table.Th>{t('attempts')}</Table.Th>
          <Table.Th>{t('error')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {files.map((f) => (
          <Table.Tr key={`${f.path}:${f.fingerprint}`}>
            <Table.Td><code>{f.path}</code></Table.Td>
            <Table.Td>{formatBytes(f.size)}</Table.Td>
            <Table.Td><StatusBadge tone={f.status === 'ingested' ? 'success' : f.status === 'failed' ? 'danger' : 'active'}>{t(`fileStatuses.${f.status}`, { defaultValue: f.status })}</StatusBadge></Table.Td>
            <Table.Td>{f.batchId ? <code>{f.batchId}</code> : '—'}</Table.Td>
            <Table.Td>{formatNumber(f.attempts)}</Table.Td>
            <Table.Td><Text size="sm" style={{ wordBreak: 'break-word' }}>{f.error ?? '—'}</Text></Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}
