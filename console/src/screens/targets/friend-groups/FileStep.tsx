/**
 * ② 유형 선택 및 파일 등록: 친구 유형 (전화번호 / 앱유저아이디), 템플릿 다운로드 of that type and 파일
 * 업로드 (CSV ≤ 200 MB, streamed with a byte progress bar; a larger file is refused before a byte is sent).
 */
import { Button, Group, Radio, SegmentedControl, Stack, Text } from '@mantine/core';
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
import { FRIEND_TYPES, FriendGroupUpload, FriendType, MAX_UPLOAD_BYTES } from './types';

const ACCEPT = { 'text/csv': ['.csv'], 'text/plain': ['.csv', '.txt'], 'application/vnd.ms-excel': ['.csv'] };
type Encoding = 'auto' | 'utf-8' | 'cp949';

export function FileStep({ channelId, type, onType, upload, onUploaded }: { channelId: string; type: FriendType; onType: (t: FriendType) => void; upload: FriendGroupUpload | null; onUploaded: (u: FriendGroupUpload) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('targets.write');
  const [encoding, setEncoding] = useState<Encoding>('auto');
  const file = useFileUpload({
    send: (f, onProgress) => uploadFile<FriendGroupUpload>('POST', `/v1/targets/friend-groups/uploads?${new URLSearchParams({ channelId, type, encoding, fileName: f.name })}`, f, 'text/csv', onProgress),
    maxBytes: MAX_UPLOAD_BYTES,
    tooLarge: (f) => t('fileStep.tooLarge', { file: f.name, size: formatBytes(f.size) }),
    rejected: (reason) => t('fileStep.rejected', { reason }),
    onSuccess: onUploaded,
  });
  const send = file.mutation;
  const template = useMutation({ mutationFn: () => downloadWithKey(`/v1/targets/friend-groups/template?type=${type}`, `friend_group_${type.toLowerCase()}_template.csv`) });
  return (
    <Stack gap="sm">
      <Radio.Group label={t('fileStep.type')} description={t('fileStep.typeHint')} value={type} onChange={(v) => { send.reset(); onType(v as FriendType); }}>
        <Group mt="xs">
          {FRIEND_TYPES.map((ft) => <Radio key={ft} value={ft} label={t(`friendTypes.${ft}`)} />)}
        </Group>
      </Radio.Group>
      <Group justify="space-between" align="flex-end">
        <div>
          <Text fw={500} size="sm">{t('fileStep.template')}</Text>
          <Text size="xs" c="dimmed">{t('fileStep.templateHint', { type: t(`friendTypes.${type}`) })}</Text>
        </div>
        <Button variant="default" size="xs" onClick={() => template.mutate()} loading={template.isPending}>{t('fileStep.template')}</Button>
      </Group>
      <ProblemAlert error={template.error} />
      <Text fw={500} size="sm" mt="xs">{t('fileStep.upload')}</Text>
      <FileDrop upload={file} accept={ACCEPT} testId="friend-group-dropzone" disabled={!can.allowed} reason={can.reason} labels={{ dropHere: t('fileStep.dropHere'), choose: t('fileStep.choose'), hint: t('fileStep.dropHint') }} />
      <div>
        <Text size="sm" fw={500} id="friend-group-encoding">{t('fileStep.encoding')}</Text>
        <SegmentedControl
          size="xs"
          aria-labelledby="friend-group-encoding"
          value={encoding}
          onChange={(v) => setEncoding(v as Encoding)}
          data={(['auto', 'utf-8', 'cp949'] as const).map((v) => ({ value: v, label: t(`fileStep.encodings.${v}`) }))}
        />
      </div>
      <UploadStatus upload={file} uploading={(sent, total) => t('fileStep.uploading', { sent, total })} processing={t('fileStep.processing')} />
      <ProblemAlert error={send.error} />
      {upload && !send.isPending && !send.error && (
        <Notice tone="success" data-testid="uploaded">{t('fileStep.uploaded', { file: upload.fileName ?? '', size: formatBytes(upload.bytes) })}</Notice>
      )}
    </Stack>
  );
}
