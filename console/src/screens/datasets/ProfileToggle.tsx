/** The one-way Profile switch: confirmed with a warning, refused by the API while the schema is not enabled. */
import { Button, Group, Modal, Stack, Switch, Text, Tooltip } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { useCan } from '../../shell/auth';
import { ProblemAlert } from '../../ui/Problem';
import { StatusBadge } from '../../ui/StatusBadge';
import { ns } from './i18n';
import type { Dataset } from './types';

export function ProfileToggle({ dataset }: { dataset: Dataset }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('datasets.write');
  const qc = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const enable = useMutation({
    mutationFn: () => unwrap<Dataset>(api.POST('/v1/datasets/{id}/enable-profile', { params: { path: { id: dataset.id } }, body: {} })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['datasets'] });
      setConfirm(false);
    },
  });
  const toggle = (
    <Switch
      label={t('profileToggle')}
      description={t('profileToggleHint')}
      checked={false}
      disabled={!can.allowed}
      onChange={() => setConfirm(true)}
      data-testid="dataset-profile-switch"
    />
  );
  if (dataset.profileEnabled) {
    return (
      <Stack gap={4} data-testid="dataset-profile-enabled">
        <Group gap="xs">
          <Text size="sm" fw={500}>{t('profileToggle')}</Text>
          <StatusBadge tone="active">{t('profileOn')}</StatusBadge>
        </Group>
        <Text size="xs" c="dimmed">{t('profileEnabledSince', { date: formatDate(dataset.profileEnabledAt) })}</Text>
      </Stack>
    );
  }
  return (
    <Stack gap="xs">
      {can.allowed ? toggle : <Tooltip label={can.reason} multiline w={280}><div>{toggle}</div></Tooltip>}
      <Modal closeButtonProps={{ 'aria-label': t('common:close') }} opened={confirm} onClose={() => setConfirm(false)} title={t('profileConfirmTitle')}>
        <Stack>
          <Text size="sm">{t('profileConfirm')}</Text>
          <ProblemAlert error={enable.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirm(false)}>{t('common:cancel')}</Button>
            <Button color="red" onClick={() => enable.mutate()} loading={enable.isPending}>{t('enable')}</Button>
          </Group>
        </Stack>
      </Modal>
    </Stack>
  );
}
