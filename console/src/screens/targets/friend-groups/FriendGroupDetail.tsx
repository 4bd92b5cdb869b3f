/**
 * 친구그룹 상세: 삭제 / 목록; 친구 정보 — ① 친구그룹 이름 (✎, unique), 카카오톡 채널, 친구 유형, 등록일시,
 * ② 친구수 with its state (준비중 / number / 생성실패 / 조회중 / 조회실패); ③ 친구그룹 사용현황 (the
 * direct-message ad groups using it). Deleting a group in use is refused with that list.
 */
import { Anchor, Button, Group, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate, formatNumber } from '../../../i18n';
import { EditableName } from '../../../ui/EditableName';
import { Facts } from '../../../ui/Facts';
import { formatBytes } from '../../../ui/format';
import { GuardedButton } from '../../../ui/Guarded';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { DeleteTargetButton, TargetUser } from '../../../ui/TargetUsage';
import { GROUPS_KEY, useFriendGroup } from './api';
import { ns } from './i18n';
import type { FriendGroup } from './types';

export function FriendGroupDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const group = useFriendGroup(id);
  const refresh = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/targets/{id}/refresh', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: GROUPS_KEY }),
  });
  if (group.isPending) return <Loader aria-label={t('common:loading')} />;
  const g = group.data;
  return (
    <Stack>
      <ProblemAlert error={group.error} />
      {g && (
        <>
          <Group justify="space-between">
            <Title order={3}>{t('detail.title')}</Title>
            <Group gap="xs">
              <DeleteTargetButton
                name={g.name}
                onDelete={() => unwrap(api.DELETE('/v1/targets/friend-groups/{id}', { params: { path: { id } } }))}
                onDeleted={() => {
                  void qc.invalidateQueries({ queryKey: ['targets'] });
                  navigate('/targets/friend-groups');
                }}
              />
              <Button variant="default" component={Link} to="/targets/friend-groups">{t('detail.list')}</Button>
            </Group>
          </Group>
          <Title order={4}>{t('detail.info')}</Title>
          <Facts
            labelWidth={160}
            items={[
              [t('detail.name'), <NameField group={g} />],
              [t('detail.channel'), <Anchor component={Link} to={`/targets/friend-groups/channels/${g.channel.id}`} size="sm">{g.channel.name} ({g.channel.searchId})</Anchor>],
              [t('detail.friendType'), t(`friendTypes.${g.friendType}`)],
              [t('detail.createdAt'), formatDate(g.createdAt)],
              [
                t('detail.friendCount'),
                <Group gap="sm">
                  <span data-testid="friend-count"><PopulationBadge population={g.population} /></span>
                  <GuardedButton permission="targets.write" size="compact-xs" variant="default" onClick={() => refresh.mutate()} loading={refresh.isPending}>{t('detail.refresh')}</GuardedButton>
                </Group>,
              ],
              [
                t('detail.file'),
                `${g.upload.fileName ?? '—'} (${formatBytes(g.upload.bytes)}, ${g.upload.encoding}) · ${t('detail.counts', { succeeded: formatNumber(g.registeredCount), failed: formatNumber(g.failedCount), duplicates: formatNumber(g.duplicateCount) })}`,
              ],
            ]}
          />
          <Text size="xs">{t('detail.friendCountHint')} {t('detail.states')}</Text>
          <ProblemAlert error={refresh.error} />
          <div>
            <Title order={4}>{t('detail.usage')}</Title>
            <Text size="xs" c="dimmed">{t('detail.usageHint')}</Text>
          </div>
          <UsageTable usage={g.usage} />
        </>
      )}
    </Stack>
  );
}

function NameField({ group }: { group: FriendGroup }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  return (
    <EditableName
      value={group.name}
      label={t('detail.name')}
      permission="targets.write"
      data-testid="group-name"
      onSave={async (name) => {
        await unwrap(api.PATCH('/v1/targets/friend-groups/{id}', { params: { path: { id: group.id } }, body: { name } }));
        await qc.invalidateQueries({ queryKey: ['targets'] });
      }}
    />
  );
}

/** The seed's 캠페인 | 광고그룹 table; an ad group's campaign and role come with each user. */
function UsageTable({ usage }: { usage: TargetUser[] }) {
  const { t } = useTranslation([ns, 'common']);
  return (
    <Table withTableBorder aria-label={t('detail.usage')} data-testid="target-usage">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('detail.campaign')}</Table.Th>
          <Table.Th>{t('detail.adGroup')}</Table.Th>
          <Table.Th>{t('detail.role')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {usage.length === 0 ? (
          <Table.Tr>
            <Table.Td colSpan={3}><Text size="sm">{t('detail.noUsage')}</Text></Table.Td>
          </Table.Tr>
        ) : (
          usage.map((u) => (
            <Table.Tr key={`${u.type}:${u.id}:${u.role ?? ''}`}>
              <Table.Td>{u.campaign ? <Anchor component={Link} to={`/targets/campaigns/${u.campaign.id}`} size="sm">{u.campaign.name}</Anchor> : '—'}</Table.Td>
              <Table.Td>{u.type === 'ad_group' ? <Anchor component={Link} to={`/targets/campaigns/ad-groups/${u.id}`} size="sm">{u.name}</Anchor> : u.name}</Table.Td>
              <Table.Td>{u.role ? t(`detail.roles.${u.role}`, { defaultValue: u.role }) : '—'}</Table.Td>
            </Table.Tr>
          ))
        )}
      </Table.Tbody>
    </Table>
  );
}
