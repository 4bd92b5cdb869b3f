/**
 * 광고반응타겟 목록: ② 등록일시 ③ 최근 수정일시 ④ 광고반응타겟 (→ detail) ⑤ 타겟 모수 with its state
 * ⑥ 수집기간, n / 30, ① + 광고반응타겟 만들기, ⑦ 데이터 가이드 and the seed's notes.
 */
import { Anchor, Button, Group, List, Paper, Stack, Text, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate } from '../../../i18n';
import { DataTable } from '../../../ui/DataTable';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { TargetListTitle, useLimitReason } from '../../../ui/TargetLimit';
import { combinationLabel } from './draft';
import { ns } from './i18n';
import type { AdResponseTarget } from './types';

export const AD_RESPONSE_KEY = ['targets', 'ad-response'] as const;

/** While a population is being counted (준비중, 조회중) the screens ask again every few seconds. */
export const POLL_MS = 5000;
export const counting = (x: AdResponseTarget) => x.population.state === 'preparing' || x.population.state === 'querying';

export function useAdResponseTargets() {
  return useQuery({
    queryKey: [...AD_RESPONSE_KEY, 'list'],
    queryFn: () => unwrap<{ items: AdResponseTarget[] }>(api.GET('/v1/targets/ad-response')),
    refetchInterval: (q) => (q.state.data?.items.some(counting) ? POLL_MS : false),
  });
}

export function AdResponseList() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const targets = useAdResponseTargets();
  const full = useLimitReason('ad_response');
  const columns: ColumnDef<AdResponseTarget>[] = [
    { accessorKey: 'createdAt', header: t('columns.createdAt'), cell: (c) => formatDate(c.getValue<string>()) },
    { accessorKey: 'updatedAt', header: t('columns.updatedAt'), cell: (c) => formatDate(c.getValue<string>()) },
    {
      accessorKey: 'name',
      header: t('columns.name'),
      cell: (c) => <Anchor component={Link} to={`/targets/ad-response/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor>,
    },
    {
      id: 'combination',
      header: t('columns.combination'),
      accessorFn: (x) => combinationLabel(t, x.campaignType, x.combination),
      cell: (c) => <Text size="sm">{`${t(`campaignTypes.${c.row.original.campaignType}`)} · ${c.getValue<string>()}`}</Text>,
    },
    {
      id: 'population',
      header: t('columns.population'),
      accessorFn: (x) => x.population.count ?? -1,
      cell: (c) => <PopulationBadge population={c.row.original.population} />,
    },
    {
      accessorKey: 'collectionDays',
      header: t('columns.collection'),
      cell: (c) => (
        <div>
          <Text size="sm">{t('days', { count: c.getValue<number>() })}</Text>
          <Text size="xs">{t('window', { from: formatDate(c.row.original.collectionWindow.from), to: formatDate(c.row.original.collectionWindow.to) })}</Text>
        </div>
      ),
    },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <TargetListTitle kind="ad_response" title={t('title')} intro={t('intro')} />
        {full ? (
          <Tooltip label={full} multiline w={280}>
            <Button disabled data-disabled-reason={full} aria-description={full}>{t('create')}</Button>
          </Tooltip>
        ) : (
          <GuardedButton permission="targets.write" onClick={() => navigate('/targets/ad-response/new')}>{t('create')}</GuardedButton>
        )}
      </Group>
      {full && <Notice tone="warning">{full}</Notice>}
      <ProblemAlert error={targets.error} />
      <DataTable label={t('list')} data={targets.data?.items ?? []} columns={columns} />
      <DataGuide />
    </Stack>
  );
}

/** ⑦ 데이터 가이드 and the seed's ※ notes. */
export function DataGuide() {
  const { t } = useTranslation(ns);
  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-labelledby="ad-response-guide">
      <Text fw={600} size="sm" id="ad-response-guide" mb={4}>{t('guide.title')}</Text>
      <List size="sm" spacing={2}>
        <List.Item>{t('guide.DISPLAY')}</List.Item>
        <List.Item>{t('guide.MESSAGE')}</List.Item>
      </List>
      <Stack gap={2} mt="xs">
        <Text size="xs">{t('notes.population')}</Text>
        <Text size="xs">{t('notes.maxDays')}</Text>
        <Text size="xs">{t('notes.combine')}</Text>
      </Stack>
    </Paper>
  );
}
