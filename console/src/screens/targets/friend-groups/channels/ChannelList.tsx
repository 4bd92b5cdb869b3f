/** 카카오톡 채널: the ad account's channels (이름, 검색용 아이디, 친구수, 등록일시) and + 카카오톡 채널 추가. */
import { Anchor, Button, Group, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../../../api/client';
import { formatDate, formatNumber } from '../../../../i18n';
import { DataTable } from '../../../../ui/DataTable';
import { Dialog } from '../../../../ui/Dialog';
import { GuardedButton } from '../../../../ui/Guarded';
import { fieldError, ProblemAlert } from '../../../../ui/Problem';
import { CHANNELS_KEY, useChannels } from '../api';
import { ns } from '../i18n';
import type { TalkChannel } from '../types';

export function ChannelList() {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState(false);
  const channels = useChannels();
  const columns: ColumnDef<TalkChannel>[] = [
    { accessorKey: 'createdAt', header: t('channel.createdAt'), cell: (c) => formatDate(c.getValue<string>()) },
    { accessorKey: 'name', header: t('channel.name'), cell: (c) => <Anchor component={Link} to={`/targets/friend-groups/channels/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor> },
    { accessorKey: 'searchId', header: t('channel.searchId') },
    { accessorKey: 'friendCount', header: t('channel.friendCount'), cell: (c) => formatNumber(c.getValue<number>()) },
  ];
  return (
    <Stack>
      <Anchor component={Link} to="/targets/friend-groups" size="sm">← {t('channel.back')}</Anchor>
      <Group justify="space-between" align="flex-start">
        <div>
          <Text fw={600}>{t('channel.title')}</Text>
          <Text size="sm" c="dimmed">{t('channel.intro')}</Text>
        </div>
        <GuardedButton permission="channels.write" onClick={() => setOpen(true)}>{t('channel.add')}</GuardedButton>
      </Group>
      <ProblemAlert error={channels.error} />
      <DataTable label={t('channel.list')} data={channels.data?.items ?? []} columns={columns} />
      {open && <AddChannel onClose={() => setOpen(false)} />}
    </Stack>
  );
}

function AddChannel({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [searchId, setSearchId] = useState('@');
  const create = useMutation({
    mutationFn: () => unwrap<TalkChannel>(api.POST('/v1/talk-channels', { body: { name: name.trim(), searchId: searchId.trim() } })),
    onSuccess: async (c) => {
      await qc.invalidateQueries({ queryKey: CHANNELS_KEY });
      onClose();
      void navigate(`/targets/friend-groups/channels/${c.id}`);
    },
  });
  const err = create.error;
  const shown = fieldError(err, '/name') || fieldError(err, '/searchId');
  return (
    <Dialog opened onClose={onClose} title={t('channel.addTitle')}>
      <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <Stack>
          <TextInput label={t('channel.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(err, '/name')} required maxLength={100} data-autofocus />
          <TextInput label={t('channel.searchId')} description={t('channel.searchIdHint')} value={searchId} onChange={(e) => setSearchId(e.currentTarget.value)} error={fieldError(err, '/searchId')} required maxLength={51} />
          {err && !shown ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={create.isPending} disabled={!name.trim() || searchId.trim().length < 2}>{t('common:save')}</Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
