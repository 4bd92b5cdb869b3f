/**
 * One activation (Adobe: Monitoring → activation dataflow): its destination, audiences, schedule,
 * mapping and current policy verdict, and its runs — status, profiles received, identities
 * activated, excluded (missing mandatory, duplicates), failed, files with rows and bytes. Run now
 * starts a run and the list is polled until it has finished.
 */
import { Alert, Anchor, Badge, Button, Group, List, Paper, SimpleGrid, Stack, Table, Text, Title, Tooltip } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate, formatNumber } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { Facts } from '../../ui/Facts';
import { formatBytes } from '../../ui/format';
import { GuardedButton } from '../../ui/Guarded';
import { ProblemAlert } from '../../ui/Problem';
import { useAudiences } from '../audiences/api';
import { useDestinations } from '../destinations/DestinationList';
import { scheduleText } from './ActivationList';
import { useActivation, useRuns } from './api';
import { ns } from './i18n';
import { PolicyViolations } from './PolicyViolations';
import type { ActivationRun } from './types';

export const RUN_COLOR: Record<ActivationRun['status'], string> = { queued: 'gray', processing: 'blue', success: 'green', failed: 'red' };

function Files({ run }: { run: ActivationRun }) {
  const { t } = useTranslation([ns, 'common']);
  if (run.files.length === 0) return <>—</>;
  return (
    <Table withTableBorder aria-label={`${t('detail.files')} ${formatDate(run.createdAt)}`} data-testid="run-files">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('detail.files')}</Table.Th>
          <Table.Th>{t('detail.path')}</Table.Th>
          <Table.Th>{t('detail.rows')}</Table.Th>
          <Table.Th>{t('detail.bytes')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {run.files.map((f) => (
          <Table.Tr key={f.path} data-testid="run-file">
            <Table.Td><code>{f.name}</code></Table.Td>
            <Table.Td><code style={{ wordBreak: 'break-all' }}>{f.path}</code></Table.Td>
            <Table.Td data-testid="run-file-rows">{formatNumber(f.rows)}</Table.Td>
            <Table.Td title={`${f.bytes} B`}>{formatBytes(f.bytes)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

export function ActivationDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const activation = useActivation(id);
  const runs = useRuns(id);
  const destinations = useDestinations();
  const audiences = useAudiences();
  const runNow = useMutation({
    mutationFn: () => unwrap<ActivationRun>(api.POST('/v1/activations/{id}/runs', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['activations', id, 'runs'] }),
  });
  if (activation.error) return <ProblemAlert error={activation.error} />;
  const a = activation.data;
  if (!a) return <Text size="sm">{t('common:loading')}</Text>;
  const dest = destinations.data?.find((d) => d.id === a.destinationId);
  const busy = runs.data?.some((r) => r.status === 'queued' || r.status === 'processing');
  const latest = runs.data?.find((r) => r.files.length > 0);
  const count = (k: keyof ActivationRun['counts']) => (r: ActivationRun) => r.counts[k];
  const columns: ColumnDef<ActivationRun>[] = [
    { accessorKey: 'createdAt', header: t('common:created'), cell: (c) => formatDate(c.getValue<string>()) },
    { accessorKey: 'trigger', header: t('detail.trigger'), cell: (c) => t(`triggers.${c.getValue<string>()}`, { defaultValue: c.getValue<string>() }) },
    { accessorKey: 'status', header: t('detail.status'), cell: (c) => <Badge variant="dot" color={RUN_COLOR[c.getValue<ActivationRun['status']>()]} data-testid="run-status">{t(`runStatuses.${c.getValue<string>()}`)}</Badge> },
    { id: 'received', accessorFn: count('received'), header: t('counts.received'), cell: (c) => <span data-testid="run-received">{formatNumber(c.getValue<number>())}</span> },
    { id: 'activated', accessorFn: count('activated'), header: t('counts.activated'), cell: (c) => <span data-testid="run-activated">{formatNumber(c.getValue<number>())}</span> },
    {
      id: 'excluded',
      accessorFn: (r) => r.counts.excludedMandatory + r.counts.excludedDuplicates,
      header: t('counts.excluded'),
      cell: (c) => (
        <Tooltip label={`${t('counts.excludedMandatory')}: ${formatNumber(c.row.original.counts.excludedMandatory)} · ${t('counts.excludedDuplicates')}: ${formatNumber(c.row.original.counts.excludedDuplicates)}`}>
          <span data-testid="run-excluded">{formatNumber(c.getValue<number>())}</span>
        </Tooltip>
      ),
    },
    { id: 'failed', accessorFn: count('failed'), header: t('counts.failed'), cell: (c) => <span data-testid="run-failed">{formatNumber(c.getValue<number>())}</span> },
    {
      id: 'files',
      accessorFn: (r) => r.files.length,
      header: t('detail.files'),
      cell: (c) => (c.row.original.files.length ? t('detail.filesSummary', { count: c.row.original.files.length, rows: formatNumber(c.row.original.files.reduce((n, f) => n + f.rows, 0)), bytes: formatBytes(c.row.original.files.reduce((n, f) => n + f.bytes, 0)) }) : '—'),
    },
    { accessorKey: 'finishedAt', header: t('detail.finished'), cell: (c) => formatDate(c.getValue<string | null>()) },
    { accessorKey: 'error', header: t('detail.error'), cell: (c) => (c.getValue() ? <Text size="xs" c="red.8" maw={260}>{c.getValue<string>()}</Text> : '') },
  ];
  return (
    <Stack>
      <Anchor component={Link} to="/activations" size="sm">← {t('detail.back')}</Anchor>
      <Group justify="space-between">
        <Group gap="sm">
          <Title order={2}>{a.name}</Title>
          <Badge variant="dot" color={a.enabled ? 'green' : 'gray'}>{a.enabled ? t('detail.enabled') : t('detail.disabled')}</Badge>
        </Group>
        {a.verdict.allowed ? (
          <GuardedButton permission="activations.write" onClick={() => runNow.mutate()} loading={runNow.isPending || busy}>{t('detail.runNow')}</GuardedButton>
        ) : (
          // A run would fail on the same policy check: say so instead of starting it.
          <Tooltip label={t('detail.runBlocked')} multiline w={280}>
            <Button disabled data-disabled-reason={t('detail.runBlocked')} aria-description={t('detail.runBlocked')}>{t('detail.runNow')}</Button>
          </Tooltip>
        )}
      </Group>
      <ProblemAlert error={runNow.error ?? runs.error} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Paper withBorder p="md" radius="md">
          <Facts
            items={[
              [t('destination'), dest ? <Anchor key="d" component={Link} to={`/destinations/${dest.id}`}>{dest.name}</Anchor> : a.destinationId],
              [t('audiences'), <Group key="a" gap={6}>{a.audienceIds.map((x) => <Anchor key={x} component={Link} to={`/audiences/${x}`}>{audiences.data?.find((y) => y.id === x)?.name ?? x}</Anchor>)}</Group>],
              [t('schedule'), scheduleText(t, a.schedule)],
              [t('nextRun'), formatDate(a.nextRunAt)],
              [t('common:created'), formatDate(a.createdAt)],
            ]}
          />
        </Paper>
        <Paper withBorder p="md" radius="md">
          <Text fw={600} mb={4}>{t('detail.mapping')}</Text>
          <List size="sm">
            <List.Item>{t('wizard.identity')}: <code>{a.mapping.identity.namespace}</code> → <code>{a.mapping.identity.column}</code></List.Item>
            {(a.mapping.attributes ?? []).map((m) => (
              <List.Item key={m.field}>
                <code>{m.field}</code> → <code>{m.column}</code>
                {a.mandatoryFields.includes(m.field) && <Badge size="xs" ml={6} variant="outline">{t('wizard.mandatory')}</Badge>}
                {a.dedup?.fields.includes(m.field) && <Badge size="xs" ml={6} variant="outline">{t('wizard.dedupKey')}</Badge>}
              </List.Item>
            ))}
          </List>
        </Paper>
      </SimpleGrid>
      <Title order={3} size="h4">{t('detail.verdictNow')}</Title>
      {a.verdict.allowed ? <Alert color="green" styles={{ title: { color: 'var(--mantine-color-text)' } }} title={t('wizard.allowed')} /> : <PolicyViolations verdict={a.verdict} />}
      <Title order={3} size="h4">{t('detail.runs')}</Title>
      <DataTable label={t('detail.runs')} data={runs.data ?? []} columns={columns} searchable={false} />
      {latest && latest.files.length > 0 && (
        <>
          <Title order={3} size="h4">{t('detail.latestFiles', { when: formatDate(latest.finishedAt ?? latest.createdAt) })}</Title>
          <Files run={latest} />
        </>
      )}
    </Stack>
  );
}
