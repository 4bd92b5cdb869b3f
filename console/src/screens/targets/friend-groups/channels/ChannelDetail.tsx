/**
 * A talk channel: name (✎) and search id, 친구수, the friend groups made for it, adding or removing
 * friends (AddFriends), and delete — refused while friend groups or campaigns use it, with the list.
 */
import { Anchor, Group, List, Loader, Stack, Text, Title } from '@mantine/core';
import { useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, ApiProblem, unwrap } from '../../../../api/client';
import { formatDate, formatNumber } from '../../../../i18n';
import { ConfirmDelete } from '../../../../ui/ConfirmDelete';
import { EditableName } from '../../../../ui/EditableName';
import { Facts } from '../../../../ui/Facts';
import { PopulationBadge } from '../../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../../ui/Problem';
import { CHANNELS_KEY, useChannel, useFriendGroups } from '../api';
import { ns } from '../i18n';
import type { ChannelUser, TalkChannel } from '../types';
import { AddFriends } from './AddFriends';

export function ChannelDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const qc = useQueryClient();
  const channel = useChannel(id);
  const groups = useFriendGroups();
  if (channel.isPending) return <Loader aria-label={t('common:loading')} />;
  const c = channel.data;
  const mine = (groups.data?.items ?? []).filter((g) => g.channel.id === id);
  return (
    <Stack>
      <Anchor component={Link} to="/targets/friend-groups/channels" size="sm">← {t('channel.title')}</Anchor>
      <ProblemAlert error={channel.error} />
      {c && (
        <>
          <Group justify="space-between">
            <Title order={3}>{t('channel.detail')}</Title>
            <DeleteChannel channel={c} />
          </Group>
          <Facts
            labelWidth={160}
            items={[
              [
                t('channel.name'),
                <EditableName
                  value={c.name}
                  label={t('channel.name')}
                  permission="channels.write"
                  onSave={async (name) => {
                    await unwrap(api.PATCH('/v1/talk-channels/{id}', { params: { path: { id } }, body: { name } }));
                    await qc.invalidateQueries({ queryKey: CHANNELS_KEY });
                  }}
                />,
              ],
              [t('channel.searchId'), c.searchId],
              [t('channel.friendCount'), <Text size="sm" data-testid="channel-friend-count">{formatNumber(c.friendCount)}</Text>],
              [t('channel.createdAt'), formatDate(c.createdAt)],
            ]}
          />
          <AddFriends channel={c} />
          <Title order={4}>{t('channel.groups')}</Title>
          {mine.length === 0 ? (
            <Text size="sm">{t('channel.noGroups')}</Text>
          ) : (
            <List size="sm" spacing={4}>
              {mine.map((g) => (
                <List.Item key={g.id}>
                  <Group gap="xs">
                    <Anchor component={Link} to={`/targets/friend-groups/${g.id}`} size="sm">{g.name}</Anchor>
                    <PopulationBadge population={g.population} />
                  </Group>
                </List.Item>
              ))}
            </List>
          )}
        </>
      )}
    </Stack>
  );
}

function DeleteChannel({ channel }: { channel: TalkChannel }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const navigate = useNavigate();
  return (
    <ConfirmDelete
      permission="channels.write"
      label={t('common:delete')}
      title={t('channel.deleteTitle')}
      confirm={t('channel.deleteConfirm', { name: channel.name })}
      onDelete={() => unwrap(api.DELETE('/v1/talk-channels/{id}', { params: { path: { id: channel.id } } }))}
      onDeleted={async () => {
        await qc.invalidateQueries({ queryKey: CHANNELS_KEY });
        navigate('/targets/friend-groups/channels');
      }}
      refusal={(error) => {
        const raw = error instanceof ApiProblem ? error.body.usage : undefined;
        const users = Array.isArray(raw) ? (raw as ChannelUser[]) : [];
        return users.length === 0 ? null : (
          <>
            <Text size="sm" fw={500}>{t('channel.inUse')}</Text>
            <List size="sm" data-testid="channel-users">
              {users.map((u) => (
                <List.Item key={`${u.type}:${u.id}`}>
                  {t(`channel.users.${u.type}`, { defaultValue: u.type })}:{' '}
                  {u.type === 'friend_group' ? <Anchor component={Link} to={`/targets/friend-groups/${u.id}`} size="sm">{u.name}</Anchor> : u.name}
                </List.Item>
              ))}
            </List>
          </>
        );
      }}
    />
  );
}
