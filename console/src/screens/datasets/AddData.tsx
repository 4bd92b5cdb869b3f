/**
 * Add data (Adobe's right-rail panel): drag and drop a file or choose one; it is streamed to
 * POST /v1/datasets/{id}/data with a progress bar in bytes, and the batch it became is shown with
 * its counts (received / ingested / failed) and status.
 */
import { Group, NumberInput, SegmentedControl, Stack, Table, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadFile } from '../../api/client';
import { formatNumber } from '../../i18n';
import { useCan } from '../../shell/auth';
import { FileDrop, UploadStatus, useFileUpload } from '../../ui/FileUpload';
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
  const [format, setFormat] = useState<Format | null>(null);
  const [threshold, setThreshold] = useState<number>(5);
  const [fileName, setFileName] = useState('');
  const file = useFileUpload({
    send: (f, onProgress) => {
      const chosen = format ?? formatOf(f.name);
      setFileName(f.name);
      const query = new URLSearchParams({ format: chosen, fileName: f.name, errorThreshold: String(threshold) });
      return uploadFile<Batch>('POST', `/v1/datasets/${encodeURIComponent(dataset.id)}/data?${query}`, f, contentTypeOf(f.name, chosen), onProgress);
    },
    rejected: (reason) => t('dropRejected', { reason }),
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: ['datasets'] });
      await qc.invalidateQueries({ queryKey: ['batches', dataset.id] });
    },
  });
  const upload = file.mutation;
  const batch = upload.data;
  return (
    <Stack gap="sm">
      <Title order={3} size="h4">{t('addData')}</Title>
      <FileDrop upload={file} accept={ACCEPT} testId="add-data-dropzone" disabled={!can.allowed} reason={can.reason} labels={{ dropHere: t('dropHere'), choose: t('chooseFile'), hint: t('dropHint') }} />
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
      <UploadStatus upload={file} uploading={(sent, total) => t('uploading', { sent, total })} processing={t('processing')} />
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
