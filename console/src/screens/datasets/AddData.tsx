/**
 * Add data (Adobe's right-rail panel): drag and drop a file or choose one; it is streamed to
 * POST /v1/datasets/{id}/data with a progress bar in bytes, and the batch it became is shown with
 * its counts (received / ingested / failed) and status.
 */
import '@mantine/dropzone/styles.css';
import { Button, Group, NumberInput, Progress, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { Dropzone, FileRejection } from '@mantine/dropzone';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadFile } from '../../api/client';
import { formatNumber } from '../../i18n';
import { useCan } from '../../shell/auth';
import { formatBytes } from '../../ui/format';
import { ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import { StatusBadge } from '../../ui/StatusBadge';
import { BATCH_TONES, Batch, Dataset } from './types';

type Format = 'csv' | 'jsonl';

const ACCEPT = {
  'text/csv': ['.csv'],
  'text/plain': ['.csv', '.txt'],
  'application/vnd.ms-excel': ['.csv'],
  'application/x-ndjson': ['.jsonl', '.ndjson'],
  'application/json': ['.json', '.jsonl'],
  'application/gzip': ['.gz'],
  'application/x-gzip': ['.gz'],
};

function formatOf(name: string): Format {
  return /\.(jsonl|ndjson|json)(\.gz)?$/i.test(name) ? 'jsonl' : 'csv';
}

function contentTypeOf(name: string, format: Format): string {
  if (/\.gz$/i.test(name)) return 'application/gzip';
  return format === 'jsonl' ? 'application/x-ndjson' : 'text/csv';
}

export function AddData({ dataset }: { dataset: Dataset }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('datasets.write');
  const qc = useQueryClient();
  const openRef = useRef<() => void>(null);
  const [format, setFormat] = useState<Format | null>(null);
  const [threshold, setThreshold] = useState<number>(5);
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [rejected, setRejected] = useState<string | null>(null);
  const [fileName, setFileName] = useState('');
  const upload = useMutation({
    mutationFn: (file: File) => {
      const f = format ?? formatOf(file.name);
      const query = new URLSearchParams({ format: f, fileName: file.name, errorThreshold: String(threshold) });
      setProgress({ sent: 0, total: file.size });
      return uploadFile<Batch>('POST', `/v1/datasets/${encodeURIComponent(dataset.id)}/data?${query}`, file, contentTypeOf(file.name, f), (sent, total) => setProgress({ sent, total }));
    },
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: ['datasets'] });
      await qc.invalidateQueries({ queryKey: ['batches', dataset.id] });
    },
  });
  const onDrop = (files: File[]) => {
    setRejected(null);
    const file = files[0];
    if (!file) return;
    setFileName(file.name);
    upload.mutate(file);
  };
  const onReject = (r: FileRejection[]) => setRejected(r[0]?.errors.map((e) => e.message).join('; ') ?? '');
  const batch = upload.data;
  const sentAll = progress !== null && progress.sent >= progress.total;
  return (
    <Stack gap="sm">
      <Title order={3} size="h4">{t('addData')}</Title>
      <Dropzone
        openRef={openRef}
        onDrop={onDrop}
        onReject={onReject}
        accept={ACCEPT}
        multiple={false}
        activateOnClick={false}
        disabled={!can.allowed || upload.isPending}
        loading={upload.isPending}
        data-testid="add-data-dropzone"
      >
        <Stack align="center" gap={6} py="md" style={{ pointerEvents: 'none' }}>
          <Text size="sm" ta="center">{t('dropHere')}</Text>
          <Button size="xs" style={{ pointerEvents: 'all' }} onClick={() => openRef.current?.()} disabled={!can.allowed || upload.isPending} title={can.reason}>
            {t('chooseFile')}
          </Button>
          <Text size="xs" c="dimmed" ta="center">{t('dropHint')}</Text>
        </Stack>
      </Dropzone>
      <Group grow align="flex-start">
        <div>
          <Text size="sm" fw={500} id="add-data-format">{t('format')}</Text>
          <SegmentedControl
            size="xs"
            aria-labelledby="add-data-format"
            value={format ?? 'auto'}
            onChange={(v) => setFormat(v === 'auto' ? null : (v as Format))}
            data={[{ value: 'auto', label: 'Auto' }, { value: 'csv', label: 'CSV' }, { value: 'jsonl', label: 'JSONL' }]}
          />
        </div>
        <NumberInput size="xs" label={t('errorThreshold')} description={t('errorThresholdHint')} min={0} max={100} value={threshold} onChange={(v) => setThreshold(typeof v === 'number' ? v : 5)} />
      </Group>
      {rejected !== null ? <Text size="sm" c="red.8" role="alert">{t('dropRejected', { reason: rejected })}</Text> : null}
      {progress && upload.isPending ? (
        <Stack gap={4}>
          <Progress value={progress.total ? (progress.sent / progress.total) * 100 : 0} aria-label={t('uploading', { sent: formatBytes(progress.sent), total: formatBytes(progress.total) })} animated={sentAll} />
          <Text size="xs" data-testid="upload-progress">
            {sentAll ? t('processing') : t('uploading', { sent: formatBytes(progress.sent), total: formatBytes(progress.total) })}
          </Text>
        </Stack>
      ) : null}
      <ProblemAlert error={upload.error} />
      {batch ? <BatchResult batch={batch} fileName={fileName} /> : null}
    </Stack>
  );
}

function BatchResult({ batch, fileName }: { batch: Batch; fileName: string }) {
  const { t } = useTranslation([ns, 'common']);
  return (
    <Stack gap={4} data-testid="upload-result">
      <Group justify="space-between">
        <Text size="sm" fw={500}>{t('uploaded', { file: fileName })}</Text>
        <StatusBadge tone={BATCH_TONES[batch.status]} data-testid="upload-status">{t(`statuses.${batch.status}`)}</StatusBadge>
      </Group>
      <Table withTableBorder aria-label={t('uploaded', { file: fileName })}>
        <Table.Tbody>
          <Table.Tr><Table.Th>{t('input')}</Table.Th><Table.Td data-testid="upload-input">{formatNumber(batch.counts.input)}</Table.Td></Table.Tr>
          <Table.Tr><Table.Th>{t('output')}</Table.Th><Table.Td data-testid="upload-output">{formatNumber(batch.counts.output)}</Table.Td></Table.Tr>
          <Table.Tr><Table.Th>{t('failed')}</Table.Th><Table.Td data-testid="upload-failed">{formatNumber(batch.counts.failed)}</Table.Td></Table.Tr>
        </Table.Tbody>
      </Table>
      {batch.failureReason ? <Text size="sm" c="red.8">{batch.failureReason}</Text> : null}
      <Text size="xs" c="dimmed">{t('batchId')}: <code>{batch.id}</code></Text>
    </Stack>
  );
}
