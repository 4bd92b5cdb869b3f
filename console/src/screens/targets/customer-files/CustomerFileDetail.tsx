/**
 * 고객파일 업로드 상세: ① 고객파일 이름 (renamed under a unique name) ② 타겟 생성일시 ③ 타겟 모수 with its
 * state (준비중 / number / 모수부족 / 등록실패 / 조회중 / 조회실패; 모수 다시 조회 after 조회실패) ④ 타겟
 * 사용 현황; delete, refused with where it is used.
 */
import { ActionIcon, Anchor, Button, Group, Loader, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate, formatNumber } from '../../../i18n';
import { useCan } from '../../../shell/auth';
import { Facts } from '../../../ui/Facts';
import { formatBytes } from '../../../ui/format';
import { GuardedButton } from '../../../ui/Guarded';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { DeleteTargetButton, TargetUsageTable } from '../../../ui/TargetUsage';
import { FILES_KEY, useCustomerFile } from './api';
import { ns } from './i18n';
import type { CustomerFile } from './types';

export function CustomerFileDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const file = useCustomerFile(id);
  const refresh = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/targets/{id}/refresh', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: FILES_KEY }),
  });
  if (file.isPending) return <Loader aria-label={t('common:loading')} />;
  const f = file.data;
  return (
    <Stack>
      <Anchor component={Link} to="/targets/customer-files" size="sm">← {t('back')}</Anchor>
      <ProblemAlert error={file.error} />
      {f && (
        <>
          <Group justify="space-between">
            <Title order={3}>{t('detail')}</Title>
            <DeleteTargetButton
              name={f.name}
              onDelete={() => unwrap(api.DELETE('/v1/targets/customer-files/{id}', { params: { path: { id } } }))}
              onDeleted={() => {
                void qc.invalidateQueries({ queryKey: ['targets'] });
                navigate('/targets/customer-files');
              }}
            />
          </Group>
          <Facts
            labelWidth={160}
            items={[
              [t('name'), <NameField file={f} />],
              [t('createdAt'), formatDate(f.createdAt)],
              [
                t('population'),
                <Group gap="sm">
                  <PopulationBadge population={f.population} failedAs="registration" />
                  <GuardedButton permission="targets.write" size="compact-xs" variant="default" onClick={() => refresh.mutate()} loading={refresh.isPending}>{t('refresh')}</GuardedButton>
                </Group>,
              ],
              [t('adid'), formatNumber(f.adidCount)],
              [t('fileName'), f.upload.fileName ? `${f.upload.fileName} (${formatBytes(f.upload.bytes)}, ${f.upload.encoding})` : '—'],
              [t('uploadCounts'), t('countsValue', { succeeded: formatNumber(f.upload.counts.succeeded), failed: formatNumber(f.upload.counts.failed), duplicates: formatNumber(f.upload.counts.duplicates) })],
            ]}
          />
          <Text size="xs" c="dimmed">{t('populationNote')}</Text>
          <ProblemAlert error={refresh.error} />
          <Title order={4}>{t('usage')}</Title>
          <TargetUsageTable usage={f.usage} />
        </>
      )}
    </Stack>
  );
}

/** The name with a pencil; a clash with another file's name shows on the field. */
function NameField({ file }: { file: CustomerFile }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('targets.write');
  const qc = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const rename = useMutation({
    mutationFn: (name: string) => unwrap<CustomerFile>(api.PATCH('/v1/targets/customer-files/{id}', { params: { path: { id: file.id } }, body: { name } })),
    onSuccess: async () => {
      setEditing(null);
      await qc.invalidateQueries({ queryKey: ['targets'] });
    },
  });
  if (editing === null) {
    return (
      <Group gap={4}>
        <Text size="sm" data-testid="file-name">{file.name}</Text>
        {can.allowed && (
          <ActionIcon variant="subtle" size="sm" aria-label={t('rename')} onClick={() => { rename.reset(); setEditing(file.name); }}>✎</ActionIcon>
        )}
      </Group>
    );
  }
  const nameErr = fieldError(rename.error, '/name', { unique: t('nameTaken') });
  return (
    <form onSubmit={(e) => { e.preventDefault(); rename.mutate(editing.trim()); }}>
      <Group gap="xs" align="flex-start">
        <TextInput size="xs" aria-label={t('name')} value={editing} onChange={(e) => setEditing(e.currentTarget.value)} error={nameErr} maxLength={100} data-autofocus />
        <Button size="xs" type="submit" loading={rename.isPending} disabled={!editing.trim()}>{t('common:save')}</Button>
        <Button size="xs" variant="default" onClick={() => setEditing(null)}>{t('common:cancel')}</Button>
      </Group>
      {rename.error && !nameErr ? <ProblemAlert error={rename.error} /> : null}
    </form>
  );
}
