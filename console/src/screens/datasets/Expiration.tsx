/**
 * Dataset expiration: a date-time picker (the browser's), at least 24 hours ahead — the API
 * decides (no `min` on the input: the browser's own bubble would hide the API's message) and its
 * refusal is shown at the field — and Cancel while the expiration is pending.
 */
import { Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { toLocalInput } from '../../ui/format';
import { GuardedButton } from '../../ui/Guarded';
import { StatusBadge } from '../../ui/StatusBadge';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import type { Dataset, DatasetExpiration } from './types';

const DAY_MS = 24 * 60 * 60 * 1000;

export function Expiration({ dataset }: { dataset: Dataset }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [at, setAt] = useState(() => toLocalInput(new Date(Date.now() + 7 * DAY_MS)));
  const refresh = () => qc.invalidateQueries({ queryKey: ['datasets'] });
  const schedule = useMutation({
    mutationFn: () => unwrap<DatasetExpiration>(api.POST('/v1/datasets/{id}/expiration', { params: { path: { id: dataset.id } }, body: { expiresAt: new Date(at).toISOString() } })),
    onSuccess: refresh,
  });
  const cancel = useMutation({
    mutationFn: () => unwrap<DatasetExpiration>(api.DELETE('/v1/datasets/{id}/expiration', { params: { path: { id: dataset.id } } })),
    onSuccess: refresh,
  });
  const exp = dataset.expiration;
  const atError = fieldError(schedule.error, '/expiresAt');
  return (
    <Stack gap="xs">
      <Title order={3} size="h4">{t('expiration')}</Title>
      <Text size="xs" c="dimmed">{t('expirationHint')}</Text>
      {exp ? (
        <Stack gap={6} data-testid="expiration">
          <Group gap="xs">
            <StatusBadge tone={exp.status === 'pending' ? 'active' : 'warning'}>{t(`expirationStatuses.${exp.status}`)}</StatusBadge>
            <Text size="sm">{formatDate(exp.expiresAt)}</Text>
          </Group>
          {exp.status === 'pending' ? (
            <GuardedButton permission="datasets.write" size="xs" variant="default" onClick={() => cancel.mutate()} loading={cancel.isPending}>{t('cancelExpiration')}</GuardedButton>
          ) : null}
          <ProblemAlert error={cancel.error} />
        </Stack>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            schedule.mutate();
          }}
        >
          <Stack gap="xs">
            <TextInput
              type="datetime-local"
              label={t('expiresAt')}
              value={at}
              onChange={(e) => setAt(e.currentTarget.value)}
              error={atError}
              required
            />
            {schedule.error && !atError ? <ProblemAlert error={schedule.error} /> : null}
            <GuardedButton permission="datasets.write" type="submit" size="xs" loading={schedule.isPending}>{t('schedule')}</GuardedButton>
          </Stack>
        </form>
      )}
    </Stack>
  );
}
