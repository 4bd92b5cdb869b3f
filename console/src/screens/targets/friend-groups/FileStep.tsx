/**
 * ② 유형 선택 및 파일 등록: 친구 유형 (전화번호 / 앱유저아이디), 템플릿 다운로드 of that type and 파일
 * 업로드 (CSV ≤ 200 MB, streamed with a byte progress bar; a larger file is refused before a byte is sent).
 */
import '@mantine/dropzone/styles.css';
import { Button, Group, Progress, Radio, SegmentedControl, Stack, Text } from '@mantine/core';
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
import { FRIEND_TYPES, FriendGroupUpload, FriendType, MAX_UPLOAD_BYTES } from './types';

const ACCEPT = { 'text/csv': ['.csv'], 'text/plain': ['.csv', '.txt'], 'application/vnd.ms-excel': ['.csv'] };
type Encoding = 'auto' | 'utf-8' | 'cp949';

export function FileStep({ channelId, type, onType, upload, onUploaded }: { channelId: string; type: FriendType; onType: (t: FriendType) => void; upload: FriendGroupUpload | null; onUploaded: (u: FriendGroupUpload) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('targets.write');
  const openRef = useRef<() => void>(null);
  const [encoding, setEncoding] = useState<Encoding>('auto');
  const [progress, setProgress] = useState<{ sent: number; total: number } | null>(null);
  const [refused, setRefused] = useState<string | null>(null);
  const send = useMutation({
    mutationFn: (file: File) => {
      setProgress({ sent: 0, total: file.size });
      const query = new URLSearchParams({ channelId, type, encoding, fileName: file.name });
      return uploadFile<FriendGroupUpload>('POST', `/v1/targets/friend-groups/uploads?${query}`, file, 'text/csv', (sent, total) => setProgress({ sent, total }));
    },
    onSuccess: onUploaded,
  });
  const template = useMutation({ mutationFn: () => downloadWithKey(`/v1/targets/friend-groups/template?type=${type}`, `friend_group_${type.toLowerCase()}_template.csv`) });
  const onDrop = (files: File[]) => {
    setRefused(null);
    send.reset();
    const file = files[0];
    if (!file) return;
    if (file.size > MAX_UPLOAD_BYTES) {
      setRefused(t('fileStep.tooLarge', { file: file.name, size: formatBytes(file.size) }));
      return;
    }
    send.mutate(file);
  };
  const onReject = (r: FileRejection[]) => setRefused(t('fileStep.rejected', { reason: r[0]?.errors.map((e) => e.message).join('; ') ?? '' }));
  const sentAll = progress !== null && progress.sent >= progress.total;
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
      <Dropzone
        openRef={openRef}
        onDrop={onDrop}
        onReject={onReject}
        accept={ACCEPT}
        multiple={false}
        activateOnClick={false}
        disabled={!can.allowed || send.isPending}
        loading={send.isPending}
        data-testid="friend-group-dropzone"
      >
        <Stack align="center" gap={6} py="md" style={{ pointerEvents: 'none' }}>
          <Text size="sm" ta="center">{t('fileStep.dropHere')}</Text>
          <Button size="xs" style={{ pointerEvents: 'all' }} onClick={() => openRef.current?.()} disabled={!can.allowed || send.isPending} title={can.reason}>
            {t('fileStep.choose')}
          </Button>
          <Text size="xs" c="dimmed" ta="center">{t('fileStep.dropHint')}</Text>
        </Stack>
      </Dropzone>
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
      {refused && <Notice tone="danger" role="alert" data-testid="upload-refused">{refused}</Notice>}
      {progress && send.isPending && (
        <Stack gap={4}>
          <Progress value={progress.total ? (progress.sent / progress.total) * 100 : 0} animated={sentAll} aria-label={t('fileStep.uploading', { sent: formatBytes(progress.sent), total: formatBytes(progress.total) })} />
          <Text size="xs" data-testid="upload-progress">
            {sentAll ? t('fileStep.processing') : t('fileStep.uploading', { sent: formatBytes(progress.sent), total: formatBytes(progress.total) })}
          </Text>
        </Stack>
      )}
      <ProblemAlert error={send.error} />
      {upload && !send.isPending && !send.error && (
        <Notice tone="success" data-testid="uploaded">{t('fileStep.uploaded', { file: upload.fileName ?? '', size: formatBytes(upload.bytes) })}</Notice>
      )}
    </Stack>
  );
}
