/** Dataset-level data usage labels (governance sets them; everyone sees them). */
import { Badge, Button, Group, Modal, MultiSelect, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { GuardedButton } from '../../ui/Guarded';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import type { Dataset } from './types';

interface Label {
  code: string;
  category: string;
  friendlyName: string;
}

export function DatasetLabels({ dataset }: { dataset: Dataset }) {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState(false);
  const catalog = useQuery({ queryKey: ['labels'], queryFn: () => unwrap<{ items: Label[] }>(api.GET('/v1/labels')) });
  const name = (code: string) => catalog.data?.items.find((l) => l.code === code)?.friendlyName;
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={3} size="h4">{t('labels')}</Title>
        <GuardedButton permission="labels.write" size="xs" variant="light" onClick={() => setOpen(true)}>{t('editLabels')}</GuardedButton>
      </Group>
      <Text size="xs" c="dimmed">{t('labelsHint')}</Text>
      <Group gap={6} data-testid="dataset-labels">
        {dataset.labels.length === 0 ? <Text size="sm">{t('noLabels')}</Text> : dataset.labels.map((code) => (
          <Badge key={code} variant="default" tt="none" title={name(code)}>{name(code) ? `${code} · ${name(code)}` : code}</Badge>
        ))}
      </Group>
      {open ? <EditLabels dataset={dataset} catalog={catalog.data?.items ?? []} onClose={() => setOpen(false)} /> : null}
    </Stack>
  );
}

function EditLabels({ dataset, catalog, onClose }: { dataset: Dataset; catalog: Label[]; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [labels, setLabels] = useState<string[]>(dataset.labels);
  const save = useMutation({
    mutationFn: () => unwrap<Dataset>(api.PUT('/v1/datasets/{id}/labels', { params: { path: { id: dataset.id } }, body: { labels } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['datasets'] });
      onClose();
    },
  });
  const groups = [...new Set(catalog.map((l) => l.category))].map((category) => ({
    group: category,
    items: catalog.filter((l) => l.category === category).map((l) => ({ value: l.code, label: `${l.code} · ${l.friendlyName}` })),
  }));
  return (
    <Modal closeButtonProps={{ 'aria-label': t('common:close') }} opened onClose={onClose} title={t('editLabels')}>
      <Stack>
        <MultiSelect label={t('labels')} data={groups} value={labels} onChange={setLabels} searchable error={fieldError(save.error, '/labels')} data-autofocus />
        <ProblemAlert error={save.error && !fieldError(save.error, '/labels') ? save.error : null} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
          <Button onClick={() => save.mutate()} loading={save.isPending}>{t('common:save')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
