/**
 * ② 비식별 코드화 확인: the upload's 성공 / 실패 / 중복 counts as the API answered them, the ADID column
 * and the columns it did not read, and the failed rows as a download.
 * ③ 생성 완료: the ADID count and the 고객파일 이름 (unique: the API's clash shows on the field); 저장.
 */
import { Button, Group, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client';
import { formatDate, formatNumber } from '../../../i18n';
import { downloadWithKey } from '../../../ui/download';
import { Facts } from '../../../ui/Facts';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { ns } from './i18n';
import type { CustomerFile, UploadView } from './types';

function Count({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <Stack gap={0} p="sm" style={{ border: '1px solid var(--mantine-color-gray-3)', borderRadius: 'var(--mantine-radius-sm)' }}>
      <Text size="sm">{label}</Text>
      <Text size="xl" fw={700} data-testid={testId}>{formatNumber(value)}</Text>
    </Stack>
  );
}

export function DeidentifyStep({ upload }: { upload: UploadView }) {
  const { t } = useTranslation([ns, 'common']);
  const failures = useMutation({ mutationFn: () => downloadWithKey(upload.failuresUrl, `${upload.id}_failures.csv`) });
  const c = upload.counts;
  return (
    <Stack gap="sm" data-testid="deidentify">
      <Text fw={600}>{t('deidentify')}</Text>
      <SimpleGrid cols={4} role="group" aria-label={t('countsLabel')}>
        <Count label={t('received')} value={c.received} testId="count-received" />
        <Count label={t('succeeded')} value={c.succeeded} testId="count-succeeded" />
        <Count label={t('failed')} value={c.failed} testId="count-failed" />
        <Count label={t('duplicates')} value={c.duplicates} testId="count-duplicates" />
      </SimpleGrid>
      <Facts
        items={[
          [t('column'), upload.column === null ? t('noHeader') : <code>{upload.column}</code>],
          [t('ignored'), <span data-testid="ignored-columns">{upload.ignoredColumns.length ? upload.ignoredColumns.join(', ') : t('none')}</span>],
        ]}
      />
      <Group justify="space-between">
        <Text size="xs" c="dimmed">{c.failed > 0 ? t('failuresHint') : t('noFailures')}</Text>
        <Button variant="default" size="xs" disabled={c.failed === 0} loading={failures.isPending} onClick={() => failures.mutate()}>{t('failures')}</Button>
      </Group>
      <ProblemAlert error={failures.error} />
      {c.succeeded === 0 && <Notice tone="danger">{t('noneSucceeded')}</Notice>}
      {upload.expiresAt && <Text size="xs" c="dimmed">{t('expires', { at: formatDate(upload.expiresAt) })}</Text>}
    </Stack>
  );
}

export function CompleteStep(props: { upload: UploadView; name: string; onName: (v: string) => void; onSaved: (f: CustomerFile) => void; onBack: () => void; onCancel: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: () => unwrap<CustomerFile>(api.POST('/v1/targets/customer-files', { body: { uploadId: props.upload.id, name: props.name.trim() } })),
    onSuccess: async (f) => {
      await qc.invalidateQueries({ queryKey: ['targets'] });
      props.onSaved(f);
    },
  });
  const nameErr = fieldError(save.error, '/name', { unique: t('nameTaken') });
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate();
      }}
    >
      <Stack gap="sm">
        <Facts items={[[t('adid'), <span data-testid="adid-count">{formatNumber(props.upload.counts.succeeded)}</span>]]} />
        <Text size="xs" c="dimmed">{t('adidHint')}</Text>
        <TextInput label={t('name')} description={t('nameHint')} value={props.name} onChange={(e) => props.onName(e.currentTarget.value)} error={nameErr} required maxLength={100} data-autofocus />
        {save.error && !nameErr ? <ProblemAlert error={save.error} /> : null}
        <Group justify="flex-end" mt="md">
          <Button variant="default" onClick={props.onBack}>{t('common:back')}</Button>
          <Button variant="default" onClick={props.onCancel}>{t('common:cancel')}</Button>
          <GuardedButton permission="targets.write" type="submit" loading={save.isPending} disabled={!props.name.trim()}>{t('save')}</GuardedButton>
        </Group>
      </Stack>
    </form>
  );
}
