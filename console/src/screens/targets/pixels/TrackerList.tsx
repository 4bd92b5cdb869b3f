/**
 * 픽셀 & SDK 연동 확인하기: ① 권한 추가하기 ② 픽셀 & SDK (name → 이벤트 목록) ③ 타겟모수 (120 days)
 * ④ 수집현황 (near real time) ⑤ 고유코드(track_id) with copy ⑥ 권한 삭제 — refused while pixel & SDK
 * targets use the tracker, with their names.
 */
import { Anchor, Button, Group, List, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, ApiProblem, unwrap } from '../../../api/client';
import { CopyField } from '../../../ui/CopyField';
import { DataTable } from '../../../ui/DataTable';
import { Dialog } from '../../../ui/Dialog';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { AddRightDialog, CreateTrackerDialog } from './AddRightDialog';
import { PIXEL_TARGETS_KEY, TRACKERS_KEY, useTrackers } from './api';
import { CollectionStatus } from './CollectionStatus';
import { ns } from './i18n';
import type { Tracker } from './types';

export function TrackerList() {
  const { t } = useTranslation([ns, 'common']);
  const trackers = useTrackers();
  const [adding, setAdding] = useState(false);
  const [creating, setCreating] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const columns: ColumnDef<Tracker>[] = [
    { accessorKey: 'name', header: t('columns.name'), cell: (c) => <Anchor component={Link} to={`/targets/pixels/${c.row.original.trackId}`} size="sm">{c.getValue<string>()}</Anchor> },
    { id: 'population', header: t('columns.population'), accessorFn: (r) => r.population.count ?? -1, cell: (c) => <PopulationBadge population={c.row.original.population} /> },
    { accessorKey: 'lastEventAt', header: t('columns.status'), cell: (c) => <CollectionStatus status={c.row.original.status} lastEventAt={c.row.original.lastEventAt} /> },
    { accessorKey: 'trackId', header: t('columns.trackId'), cell: (c) => <CopyField value={c.getValue<string>()} label={`${c.row.original.name} ${t('columns.trackId')}`} /> },
    { accessorKey: 'role', header: t('columns.role'), cell: (c) => t(`roles.${c.getValue<string>()}`) },
    { id: 'remove', header: t('columns.removeRight'), enableSorting: false, cell: (c) => <RemoveRight tracker={c.row.original} /> },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <div>
          <Text fw={600}>{t('title')}</Text>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        <Group gap="xs">
          <GuardedButton permission="trackers.write" variant="default" onClick={() => setCreating(true)}>{t('create')}</GuardedButton>
          <GuardedButton permission="trackers.write" onClick={() => { setNotice(null); setAdding(true); }}>{t('addRight')}</GuardedButton>
        </Group>
      </Group>
      {notice && <Notice tone="success" data-testid="pixels-notice" withCloseButton onClose={() => setNotice(null)} closeButtonLabel={t('common:close')}>{notice}</Notice>}
      <ProblemAlert error={trackers.error} />
      {trackers.data?.items.length === 0 && <Notice tone="info">{t('empty')}</Notice>}
      <DataTable label={t('list')} data={trackers.data?.items ?? []} columns={columns} searchable={false} />
      <Text size="xs">{t('populationHint')}</Text>
      {adding && <AddRightDialog onClose={() => setAdding(false)} onAdded={(n) => { setAdding(false); setNotice(t('add.done', { n })); }} />}
      {creating && <CreateTrackerDialog onClose={() => setCreating(false)} onCreated={(tr) => { setCreating(false); setNotice(t('newTracker.done', { name: tr.name, trackId: tr.trackId })); }} />}
    </Stack>
  );
}

function RemoveRight({ tracker }: { tracker: Tracker }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/trackers/{trackId}/rights', { params: { path: { trackId: tracker.trackId } } })),
    onSuccess: async () => {
      setOpen(false);
      await qc.invalidateQueries({ queryKey: TRACKERS_KEY });
      await qc.invalidateQueries({ queryKey: PIXEL_TARGETS_KEY });
    },
  });
  const raw = remove.error instanceof ApiProblem ? remove.error.body.usage : undefined;
  const users = Array.isArray(raw) ? (raw as { id: string; name: string }[]) : [];
  return (
    <>
      <GuardedButton permission="trackers.write" size="compact-xs" color="red.9" variant="outline" onClick={() => { remove.reset(); setOpen(true); }} aria-label={`${t('remove.submit')}: ${tracker.name}`}>
        {t('remove.submit')}
      </GuardedButton>
      <Dialog opened={open} onClose={() => setOpen(false)} title={t('remove.title')}>
        <Stack>
          <Text size="sm">{t('remove.confirm', { name: tracker.name, trackId: tracker.trackId })}</Text>
          <ProblemAlert error={remove.error} />
          {users.length > 0 && (
            <>
              <Text size="sm" fw={500}>{t('remove.inUse')}</Text>
              <List size="sm" data-testid="right-users">
                {users.map((u) => (
                  <List.Item key={u.id}><Anchor component={Link} to={`/targets/pixels/targets/${u.id}`} size="sm">{u.name}</Anchor></List.Item>
                ))}
              </List>
            </>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>{t('common:cancel')}</Button>
            <Button color="red.8" loading={remove.isPending} onClick={() => remove.mutate()} data-testid="confirm-remove-right">{t('remove.submit')}</Button>
          </Group>
        </Stack>
      </Dialog>
    </>
  );
}
