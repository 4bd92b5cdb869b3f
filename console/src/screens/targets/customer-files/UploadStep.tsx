/**
 * ① 고객파일 등록: 템플릿 다운로드 and 파일 업로드. The file is streamed to POST …/uploads with a byte
 * progress bar; a file over 200 MB is refused here, before a byte is sent, with the reason.
 */
import '@mantine/dropzone/styles.css';
import { Button, Group, Progress, SegmentedControl, Stack, Text } from '@mantine/core';
import { Dropzone, FileRejection } from '@mantine/dropzone';
import { useMutation } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadFile } from '../../../api/client';
import { useCan } from '../../../shell/auth';
import { downloadWithKey } from '../../../ui/download';
import { formatBytes } from '../../../ui/format';
import { Notice } from '../../../ui/Notice';
import { ProblemAlert } from '../../../ui/Problem';
import { ns } from './i18n';
import { MAX_UPLOAD_BYTES, UploadView } from './types';

const ACCEPT = { 'text/csv': ['.csv'], 'text/plain': ['.csv', '.txt'], 'application/vnd.ms-excel': ['.csv'] };
type Encoding = 'auto' | 'utf-8' | 'cp949';

export function UploadStep({ upload, onUploaded }: { upload: UploadView | null; onUploaded: (u: UploadView) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('targets.write');
  const openRef = useRef<() => void>(null);
  const [encoding, setEncoding] = useState<Encoding>('auto');
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const send = useMutation({
    mutationFn: (file: File) => {
      setProgress({ sent: 0, total: file.size });
      const query = new URLSearchParams({ encoding, fileName: file.name });
      return uploadFile<UploadView>('POST', `/v1/targets/customer-files/uploads?${query}`, file, 'text/csv', (sent, total) => setProgress({ sent, total }));
    },
    onSuccess: onUploaded,
  });
  const template = useMutation({ mutationFn: () => downloadWithKey('/v1/targets/customer-files/template', 'customer_file_template.csv') });
  const onDrop = (files: File[]) => {
    setRefused(null);
    send.reset();
    const file = files[0];
    if (!file) return;
    if (file.size > MAX_UPLOAD_BYTES) {
      setRefused(t('tooLarge', { file: file.name, size: formatBytes(file.size) }));
      return;
    }
    send.mutate(file);
  };
  const onReject = (r: FileRejection[]) => setRefused(t('rejected', { reason: r[0]?.errors.map((e) => e.message).join('; ') ?? '' }));
  const sentAll = progress !== null && progress.sent >= progress.total;
  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end">
        <Text size="sm">{t('templateHint')}</Text>
        <Button variant="default" size="xs" onClick={() => template.mutate()} loading={template.isPending}>{t('template')}</Button>
      </Group>
      <ProblemAlert error={template.error} />
      <Text fw={500} size="sm" mt="xs">{t('upload')}</Text>
      <Dropzone
        openRef={openRef}
        onDrop={onDrop}
        onReject={onReject}
        accept={ACCEPT}
        multiple={false}
        activateOnClick={false}
        disabled={!can.allowed || send.isPending}
        loading={send.isPending}
        data-testid="customer-file-dropzone"
      >
        <Stack align="center" gap={6} py="md" style={{ pointerEvents: 'none' }}>
          <Text size="sm" ta="center">{t('dropHere')}</Text>
          <Button size="xs" style={{ pointerEvents: 'all' }} onClick={() => openRef.current?.()} disabled={!can.allowed || send.isPending} title={can.reason}>
            {t('choose')}
          </Button>
          <Text size="xs" c="dimmed" ta="center">{t('dropHint')}</Text>
        </Stack>
      </Dropzone>
      <div>
        <Text size="sm" fw={500} id="customer-file-encoding">{t('encoding')}</Text>
        <SegmentedControl
          size="xs"
          aria-labelledby="customer-file-encoding"
          value={encoding}
          onChange={(v) => setEncoding(v as Encoding)}
          data={(['auto', 'utf-8', 'cp949'] as const).map((v) => ({ value: v, label: t(`encodings.${v}`) }))}
        />
      </div>
      {refused && <Notice tone="danger" role="alert" data-testid="upload-refused">{refused}</Notice>}
      {progress && send.isPending && (
        <Stack gap={4}>
          <Progress value={progress.total ? (progress.sent / progress.total) * 100 : 0} animated={sentAll} aria-label={t('uploading', { sent: formatBytes(progress.sent), total: formatBytes(progress.total) })} />
          <Text size="xs" data-testid="upload-progress">
            {sentAll ? t('processing') : t('uploading', { sent: formatBytes(progress.sent), total: formatBytes(progress.total) })}
          </Text>
        </Stack>
      )}
      <ProblemAlert error={send.error} />
      {upload && !send.isPending && !send.error && (
        <Notice tone="success" data-testid="uploaded">{t('uploaded', { file: upload.fileName ?? '', size: formatBytes(upload.bytes) })}</Notice>
      )}
    </Stack>
  );
}
