/**
 * ① 고객파일 등록: 템플릿 다운로드 and 파일 업로드. The file is streamed to POST …/uploads with a byte
 * progress bar; a file over 200 MB is refused here, before a byte is sent, with the reason.
 */
import { Button, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadFile } from '../../../api/client';
import { useCan } from '../../../shell/auth';
import { downloadWithKey } from '../../../ui/download';
import { FileDrop, UploadStatus, useFileUpload } from '../../../ui/FileUpload';
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
  const [encoding, setEncoding] = useState<Encoding>('auto');
  const file = useFileUpload({
    send: (f, onProgress) => uploadFile<UploadView>('POST', `/v1/targets/customer-files/uploads?${new URLSearchParams({ encoding, fileName: f.name })}`, f, 'text/csv', onProgress),
    maxBytes: MAX_UPLOAD_BYTES,
    tooLarge: (f) => t('tooLarge', { file: f.name, size: formatBytes(f.size) }),
    rejected: (reason) => t('rejected', { reason }),
    onSuccess: onUploaded,
  });
  const send = file.mutation;
  const template = useMutation({ mutationFn: () => downloadWithKey('/v1/targets/customer-files/template', 'customer_file_template.csv') });
  return (
    <Stack gap="sm">
      <Group justify="space-between" align="flex-end">
        <Text size="sm">{t('templateHint')}</Text>
        <Button variant="default" size="xs" onClick={() => template.mutate()} loading={template.isPending}>{t('template')}</Button>
      </Group>
      <ProblemAlert error={template.error} />
      <Text fw={500} size="sm" mt="xs">{t('upload')}</Text>
      <FileDrop upload={file} accept={ACCEPT} testId="customer-file-dropzone" disabled={!can.allowed} reason={can.reason} labels={{ dropHere: t('dropHere'), choose: t('choose'), hint: t('dropHint') }} />
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
      <UploadStatus upload={file} uploading={(sent, total) => t('uploading', { sent, total })} processing={t('processing')} />
      <ProblemAlert error={send.error} />
      {upload && !send.isPending && !send.error && (
        <Notice tone="success" data-testid="uploaded">{t('uploaded', { file: upload.fileName ?? '', size: formatBytes(upload.bytes) })}</Notice>
      )}
    </Stack>
  );
}
