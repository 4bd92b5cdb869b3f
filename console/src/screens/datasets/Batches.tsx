/**
 * The dataset's batches, newest first: status, counts (received / ingested / failed), failure
 * reason and a download of the row errors. Refreshes while a batch is loading.
 */
import { Button, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { formatDate, formatNumber } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { downloadWithKey } from '../../ui/download';
import { ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import { StatusBadge } from '../../ui/StatusBadge';
import { BATCH_TONES, Batch, Page } from './types';

export function Batches({ datasetId }: { datasetId: string }) {
  const { t } = useTranslation([ns, 'common']);
  const pages = useInfiniteQuery({
    queryKey: ['batches', datasetId, 'list'],
    refetchOnMount: 'always',
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) => unwrap<Page<Batch>>(api.GET('/v1/datasets/{id}/batches', { params: { path: { id: datasetId }, query: { limit: 50, cursor: pageParam } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
    refetchInterval: (q) => (q.state.data?.pages.some((p) => p.items.some((b) => b.status === 'loading' || b.status === 'staged')) ? 2000 : false),
  });
  const batches = pages.data?.pages.flatMap((p) => p.items) ?? [];
  // Narrow enough for the column beside the right rail: id, file and time in one cell; reason and download in one.
  const columns: ColumnDef<Batch>[] = [
    {
      accessorKey: 'id',
      header: t('batches'),
      cell: (c) => (
        <div>
          <Text size="xs" ff="monospace">{c.getValue<string>()}</Text>
          <Text size="xs">{c.row.original.files.map((f) => f.name).join(', ') || c.row.original.source}</Text>
          <Text size="xs" c="dimmed">{formatDate(c.row.original.createdAt)}</Text>
        </div>
      ),
    },
    { accessorKey: 'status', header: t('common:status'), cell: (c) => <StatusBadge tone={BATCH_TONES[c.row.original.status]}>{t(`statuses.${c.row.original.status}`)}</StatusBadge> },
    { id: 'input', accessorFn: (b) => b.counts.input, header: t('input'), cell: (c) => formatNumber(c.getValue<number>()) },
    { id: 'output', accessorFn: (b) => b.counts.output, header: t('output'), cell: (c) => formatNumber(c.getValue<number>()) },
    { id: 'failed', accessorFn: (b) => b.counts.failed, header: t('failed'), cell: (c) => formatNumber(c.getValue<number>()) },
    {
      id: 'errors',
      header: t('errorsColumn'),
      enableSorting: false,
      cell: (c) => (
        <Stack gap={4} maw={260}>
          {c.row.original.failureReason ? <Text size="sm" style={{ wordBreak: 'break-word' }}>{c.row.original.failureReason}</Text> : null}
          {c.row.original.counts.failed > 0 ? <ErrorDownload batch={c.row.original} /> : null}
          {!c.row.original.failureReason && c.row.original.counts.failed === 0 ? '—' : null}
        </Stack>
      ),
    },
  ];
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">{t('batches')}</Title>
      <ProblemAlert error={pages.error} />
      {/* keep-all: Korean headers break between words, not between syllables */}
      {pages.isPending ? (
        <Loader size="sm" aria-label={t('common:loading')} />
      ) : (
        <Table.ScrollContainer minWidth={600} style={{ wordBreak: 'keep-all' }}>
          <DataTable label={t('batches')} data={batches} columns={columns} searchable={false} />
        </Table.ScrollContainer>
      )}
      {pages.hasNextPage ? (
        <Group justify="center">
          <Button variant="default" onClick={() => void pages.fetchNextPage()} loading={pages.isFetchingNextPage}>{t('more')}</Button>
        </Group>
      ) : null}
    </Stack>
  );
}

function ErrorDownload({ batch }: { batch: Batch }) {
  const { t } = useTranslation([ns, 'common']);
  const download = useMutation({ mutationFn: () => downloadWithKey(`/v1/batches/${encodeURIComponent(batch.id)}/errors?format=csv`, `${batch.id}_errors.csv`) });
  return (
    <Stack gap={2}>
      <Button size="xs" variant="light" onClick={() => download.mutate()} loading={download.isPending} aria-label={`${t('downloadErrors')} ${batch.id}`}>
        {t('downloadErrors')}
      </Button>
      {download.data ? <Text size="xs">{t('downloaded', { file: download.data.fileName })}</Text> : null}
      <ProblemAlert error={download.error} />
    </Stack>
  );
}
