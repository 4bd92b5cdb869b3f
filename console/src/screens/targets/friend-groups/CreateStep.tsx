/**
 * ③ 그룹 생성: 등록 현황 (전체 / 등록 / 실패 / 중복, the column read and the ones ignored, 실패 리스트
 * 다운로드), 친구그룹 이름 (unique: the API's 409 shows on the field) and 저장 / 이전 / 취소.
 */
import { Button, Group, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client';
import { formatNumber } from '../../../i18n';
import { downloadWithKey } from '../../../ui/download';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { ns } from './i18n';
import type { FriendGroup, FriendGroupUpload } from './types';

export function CreateStep({ upload, name, onName, onSaved, onBack, onCancel }: { upload: FriendGroupUpload; name: string; onName: (n: string) => void; onSaved: (g: FriendGroup) => void; onBack: () => void; onCancel: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const failures = useMutation({ mutationFn: () => downloadWithKey(upload.failuresUrl, `${upload.id}_failures.csv`) });
  const save = useMutation({
    mutationFn: () => unwrap<FriendGroup>(api.POST('/v1/targets/friend-groups', { body: { uploadId: upload.id, name: name.trim() } })),
    onSuccess: async (g) => {
      await qc.invalidateQueries({ queryKey: ['targets'] });
      onSaved(g);
    },
  });
  const c = upload.counts;
  const nameError = fieldError(save.error, '/name');
  const cells: [string, number, string][] = [
    [t('createStep.received'), c.received, 'received'],
    [t('createStep.succeeded'), c.succeeded, 'succeeded'],
    [t('createStep.failed'), c.failed, 'failed'],
    [t('createStep.duplicates'), c.duplicates, 'duplicates'],
  ];
  return (
    <form onSubmit={(e) => { e.preventDefault(); save.mutate(); }}>
      <Stack gap="sm">
        <div>
          <Text fw={500} size="sm">{t('createStep.status')}</Text>
          <Text size="xs" c="dimmed">{t('createStep.statusHint')}</Text>
        </div>
        <SimpleGrid cols={4} spacing="xs" role="list" aria-label={t('createStep.status')}>
          {cells.map(([label, n, key]) => (
            <Stack key={key} gap={0} p="xs" role="listitem" style={{ border: '1px solid var(--mantine-color-gray-4)', borderRadius: 6 }}>
              <Text size="xs">{label}</Text>
              <Text fw={700} size="lg" data-testid={`count-${key}`}>{formatNumber(n)}</Text>
            </Stack>
          ))}
        </SimpleGrid>
        <Text size="xs">
          {t('createStep.channel', { channel: upload.channel.name })} · {t(`friendTypes.${upload.friendType}`)} ·{' '}
          {upload.column ? t('createStep.column', { column: upload.column }) : t('createStep.noHeader')}
          {upload.ignoredColumns.length > 0 && ` · ${t('createStep.ignored', { columns: upload.ignoredColumns.join(', ') })}`}
        </Text>
        {c.failed > 0 && (
          <Group>
            <Button variant="default" size="xs" onClick={() => failures.mutate()} loading={failures.isPending} data-testid="download-failures">{t('createStep.failures')}</Button>
          </Group>
        )}
        <ProblemAlert error={failures.error} />
        {c.succeeded === 0 && <Notice tone="warning">{t('createStep.nothing')}</Notice>}
        <TextInput label={t('createStep.name')} description={t('createStep.nameHint')} value={name} onChange={(e) => onName(e.currentTarget.value)} error={nameError} maxLength={100} required data-autofocus />
        {save.error && !nameError ? <ProblemAlert error={save.error} /> : null}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={onBack}>{t('common:back')}</Button>
          <Button variant="default" onClick={onCancel}>{t('common:cancel')}</Button>
          <GuardedButton permission="targets.write" type="submit" loading={save.isPending} disabled={!name.trim() || c.succeeded === 0}>{t('common:save')}</GuardedButton>
        </Group>
      </Stack>
    </form>
  );
}
