/**
 * 광고반응타겟 상세 (/targets/ad-response/<id>): name (renamed under a unique name), 등록일시, 최근
 * 수정일시, the sources with their campaigns, the reactions, 수집기간 with today's window, 타겟 모수
 * with its state (모수 다시 조회), 타겟 사용 현황 (ad groups linking to their targeting), and delete,
 * refused while used with where it is used.
 */
import { ActionIcon, Anchor, Button, Group, Loader, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate } from '../../../i18n';
import { useCan } from '../../../shell/auth';
import { Facts } from '../../../ui/Facts';
import { GuardedButton } from '../../../ui/Guarded';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { DeleteTargetButton, TargetUsageTable } from '../../../ui/TargetUsage';
import { AD_RESPONSE_KEY, counting, POLL_MS } from './AdResponseList';
import { combinationLabel } from './draft';
import { ns } from './i18n';
import type { AdResponseTarget } from './types';

export function AdResponseDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const target = useQuery({
    queryKey: [...AD_RESPONSE_KEY, 'one', id], queryFn: () => unwrap<AdResponseTarget>(api.GET('/v1/targets/ad-response/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data && counting(q.state.data) ? POLL_MS : false),
  });
  const refresh = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/targets/{id}/refresh', { params: { path: { id } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: ['targets'] }),
  });
  if (target.isPending) return <Loader aria-label={t('common:loading')} />;
  const x = target.data;
  return (
    <Stack>
      <Anchor component={Link} to="/targets/ad-response" size="sm">← {t('detail.back')}</Anchor>
      <ProblemAlert error={target.error} />
      {x && (
        <>
          <Group justify="space-between">
            <Title order={3}>{t('detail.title')}</Title>
            <DeleteTargetButton
              name={x.name}
              onDelete={() => unwrap(api.DELETE('/v1/targets/ad-response/{id}', { params: { path: { id } } }))}
              onDeleted={() => {
                void qc.invalidateQueries({ queryKey: ['targets'] });
                navigate('/targets/ad-response');
              }}
            />
          </Group>
          <Facts
            labelWidth={160}
            items={[
              [t('detail.name'), <NameField target={x} />],
              [t('columns.createdAt'), formatDate(x.createdAt)],
              [t('columns.updatedAt'), formatDate(x.updatedAt)],
              [t('detail.campaignType'), t(`campaignTypes.${x.campaignType}`)],
              [t('detail.combination'), <Text size="sm" data-testid="combination">{combinationLabel(t, x.campaignType, x.combination)}</Text>],
              [t('detail.collection'), `${t('days', { count: x.collectionDays })} (${t('window', { from: formatDate(x.collectionWindow.from), to: formatDate(x.collectionWindow.to) })})`],
              [
                t('detail.population'),
                <Group gap="sm">
                  <PopulationBadge population={x.population} />
                  <GuardedButton permission="targets.write" size="compact-xs" variant="default" onClick={() => refresh.mutate()} loading={refresh.isPending}>{t('detail.refresh')}</GuardedButton>
                </Group>,
              ],
            ]}
          />
          <Text size="xs">{t('notes.collection')}</Text>
          <ProblemAlert error={refresh.error} />
          <Title order={4}>{t('detail.data')}</Title>
          <Table withTableBorder aria-label={t('detail.data')}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('sourceColumns.campaign')}</Table.Th>
                <Table.Th>{x.campaignType === 'DISPLAY' ? t('sourceColumns.adGroup') : t('sourceColumns.message')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {x.sources.map((s) => (
                <Table.Tr key={s.id}>
                  <Table.Td>
                    <Anchor component={Link} to={`/targets/campaigns/${s.campaign.id}`} size="sm">{s.campaign.name}</Anchor>
                  </Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/targets/campaigns/ad-groups/${s.adGroup?.id ?? s.id}`} size="sm">{s.adGroup ? `${s.adGroup.name} › ${s.name}` : s.name}</Anchor>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Title order={4}>{t('detail.usage')}</Title>
          <TargetUsageTable usage={x.usage} />
        </>
      )}
    </Stack>
  );
}

/** The name with a pencil; a clash with another target's name shows on the field. */
function NameField({ target }: { target: AdResponseTarget }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('targets.write');
  const qc = useQueryClient();
  const [editing, setEditing] = useState<string | null>(null);
  const rename = useMutation({
    mutationFn: (name: string) => unwrap<AdResponseTarget>(api.PATCH('/v1/targets/ad-response/{id}', { params: { path: { id: target.id } }, body: { name } })),
    onSuccess: async () => {
      setEditing(null);
      await qc.invalidateQueries({ queryKey: ['targets'] });
    },
  });
  if (editing === null) {
    return (
      <Group gap={4}>
        <Text size="sm" data-testid="target-name">{target.name}</Text>
        {can.allowed && (
          <ActionIcon variant="subtle" size="sm" aria-label={t('detail.rename')} onClick={() => { rename.reset(); setEditing(target.name); }}>✎</ActionIcon>
        )}
      </Group>
    );
  }
  const nameErr = fieldError(rename.error, '/name', { unique: t('wizard.nameTaken') });
  return (
    <form onSubmit={(e) => { e.preventDefault(); rename.mutate(editing.trim()); }}>
      <Group gap="xs" align="flex-start">
        <TextInput size="xs" aria-label={t('detail.name')} value={editing} onChange={(e) => setEditing(e.currentTarget.value)} error={nameErr} maxLength={100} data-autofocus />
        <Button size="xs" type="submit" loading={rename.isPending} disabled={!editing.trim()}>{t('common:save')}</Button>
        <Button size="xs" variant="default" onClick={() => setEditing(null)}>{t('common:cancel')}</Button>
      </Group>
      {rename.error && !nameErr ? <ProblemAlert error={rename.error} /> : null}
    </form>
  );
}
