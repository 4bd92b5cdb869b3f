/** 친구그룹 목록: 등록일시, 친구그룹 이름 (→ 상세), 카카오톡 채널, 친구 유형, 등록 수, 친구수; n / 30 and + 친구그룹 등록하기. */
import { Anchor, Button, Group, Stack, Text, Tooltip } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { formatDate, formatNumber } from '../../../i18n';
import { DataTable } from '../../../ui/DataTable';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { TargetListTitle, useLimitReason } from '../../../ui/TargetLimit';
import { useFriendGroups } from './api';
import { ns } from './i18n';
import { RegisterWizard } from './RegisterWizard';
import type { FriendGroup } from './types';

export function FriendGroupList() {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const groups = useFriendGroups();
  const full = useLimitReason('friend_group');
  const columns: ColumnDef<FriendGroup>[] = [
    { accessorKey: 'createdAt', header: t('columns.createdAt'), cell: (c) => formatDate(c.getValue<string>()) },
    {
      accessorKey: 'name',
      header: t('columns.name'),
      cell: (c) => <Anchor component={Link} to={`/targets/friend-groups/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor>,
    },
    { id: 'channel', accessorFn: (g) => g.channel.name, header: t('columns.channel'), cell: (c) => `${c.row.original.channel.name} (${c.row.original.channel.searchId})` },
    { accessorKey: 'friendType', header: t('columns.friendType'), cell: (c) => t(`friendTypes.${c.getValue<string>()}`) },
    { accessorKey: 'registeredCount', header: t('columns.registered'), cell: (c) => formatNumber(c.getValue<number>()) },
    {
      id: 'friendCount',
      header: t('columns.friendCount'),
      accessorFn: (g) => g.population.count ?? -1,
      cell: (c) => <PopulationBadge population={c.row.original.population} />,
    },
    {
      id: 'usage',
      header: t('columns.usage'),
      accessorFn: (g) => g.usage.length,
      cell: (c) => <Text size="sm">{c.row.original.usage.length ? t('usageCount', { count: c.row.original.usage.length }) : t('unused')}</Text>,
    },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <TargetListTitle kind="friend_group" title={t('title')} intro={t('intro')} />
        <Group gap="xs">
          <Button variant="default" component={Link} to="/targets/friend-groups/channels">{t('channels')}</Button>
          {full ? (
            <Tooltip label={full} multiline w={280}>
              <Button disabled data-disabled-reason={full} aria-description={full}>{t('register')}</Button>
            </Tooltip>
          ) : (
            <GuardedButton permission="targets.write" onClick={() => { setSaved(null); setOpen(true); }}>{t('register')}</GuardedButton>
          )}
        </Group>
      </Group>
      {full && <Notice tone="warning">{full}</Notice>}
      {saved && <Notice tone="success" data-testid="saved" withCloseButton onClose={() => setSaved(null)} closeButtonLabel={t('common:close')}>{t('saved', { name: saved })}</Notice>}
      <ProblemAlert error={groups.error} />
      <DataTable label={t('list')} data={groups.data?.items ?? []} columns={columns} />
      {open && <RegisterWizard onClose={() => setOpen(false)} onSaved={(g) => { setOpen(false); setSaved(g.name); }} />}
    </Stack>
  );
}
