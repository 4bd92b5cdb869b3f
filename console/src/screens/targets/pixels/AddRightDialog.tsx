/**
 * 픽셀 & SDK 권한 추가하기 popup: ① the trackers of the organisation this ad account has no right on
 * yet (already granted ones are not shown) ② their track_id ③ 내 픽셀 & SDK 보기 — all of them, the
 * granted ones marked and not selectable ④ 확인 ⑤ 취소. Also 픽셀 & SDK 만들기 (a new tracker).
 */
import { Badge, Button, Checkbox, Group, Loader, Stack, Switch, Table, Text, TextInput, VisuallyHidden } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client';
import { formatDate } from '../../../i18n';
import { Dialog } from '../../../ui/Dialog';
import { Notice } from '../../../ui/Notice';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { TRACKERS_KEY } from './api';
import { CollectionStatus } from './CollectionStatus';
import { ns } from './i18n';
import type { AvailableTracker, Tracker } from './types';

export function AddRightDialog({ onClose, onAdded }: { onClose: () => void; onAdded: (n: number) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [all, setAll] = useState(false);
  const [picked, setPicked] = useState<string[]>([]);
  const available = useQuery({
    queryKey: [...TRACKERS_KEY, 'available', all],
    queryFn: () => unwrap<{ items: AvailableTracker[] }>(api.GET('/v1/trackers/available', { params: { query: { all } } })),
  });
  const add = useMutation({
    mutationFn: async () => {
      for (const trackId of picked) await unwrap(api.POST('/v1/trackers/{trackId}/rights', { params: { path: { trackId } } }));
      return picked.length;
    },
    onSettled: () => qc.invalidateQueries({ queryKey: TRACKERS_KEY }),
    onSuccess: onAdded,
  });
  const items = available.data?.items ?? [];
  const toggle = (id: string, on: boolean) => setPicked((p) => (on ? [...p, id] : p.filter((x) => x !== id)));
  return (
    <Dialog opened onClose={onClose} title={t('add.title')} size="xl">
      <Stack>
        <Text size="sm">{t('add.hint')}</Text>
        <Switch label={t('add.showAll')} description={t('add.showAllHint')} checked={all} onChange={(e) => setAll(e.currentTarget.checked)} />
        <ProblemAlert error={available.error} />
        {available.isPending ? (
          <Loader aria-label={t('common:loading')} />
        ) : items.length === 0 ? (
          <Notice tone="info">{t('add.none')}</Notice>
        ) : (
          <Table withTableBorder aria-label={t('add.title')} data-testid="available-trackers">
            <Table.Thead>
              <Table.Tr>
                <Table.Th><VisuallyHidden>{t('add.submit')}</VisuallyHidden></Table.Th>
                <Table.Th>{t('columns.name')}</Table.Th>
                <Table.Th>{t('columns.trackId')}</Table.Th>
                <Table.Th>{t('columns.status')}</Table.Th>
                <Table.Th>{t('common:created')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((tr) => (
                <Table.Tr key={tr.trackId}>
                  <Table.Td>
                    {tr.added ? (
                      <Badge variant="outline" color="gray.8" tt="none">{t('add.added')}{tr.role ? ` · ${t(`roles.${tr.role}`)}` : ''}</Badge>
                    ) : (
                      <Checkbox aria-label={t('add.pick', { name: tr.name })} checked={picked.includes(tr.trackId)} onChange={(e) => toggle(tr.trackId, e.currentTarget.checked)} />
                    )}
                  </Table.Td>
                  <Table.Td>{tr.name}</Table.Td>
                  <Table.Td><code>{tr.trackId}</code></Table.Td>
                  <Table.Td><CollectionStatus status={tr.status} lastEventAt={tr.lastEventAt} /></Table.Td>
                  <Table.Td>{formatDate(tr.createdAt)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
        <ProblemAlert error={add.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
          <Button onClick={() => add.mutate()} loading={add.isPending} disabled={picked.length === 0}>{t('add.submit')}</Button>
        </Group>
      </Stack>
    </Dialog>
  );
}

export function CreateTrackerDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (t: Tracker) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => unwrap<Tracker>(api.POST('/v1/trackers', { body: { name: name.trim() } })),
    onSuccess: async (tr) => {
      await qc.invalidateQueries({ queryKey: TRACKERS_KEY });
      onCreated(tr);
    },
  });
  const err = fieldError(create.error, '/name');
  return (
    <Dialog opened onClose={onClose} title={t('newTracker.title')}>
      <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <Stack>
          <TextInput label={t('newTracker.name')} description={t('newTracker.nameHint')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={err} maxLength={50} required data-autofocus />
          {create.error && !err ? <ProblemAlert error={create.error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={create.isPending} disabled={!name.trim()}>{t('common:save')}</Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
