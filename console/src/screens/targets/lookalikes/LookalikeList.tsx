/**
 * 유사타겟 목록 (the seed's ①–⑧): 유사타겟 만들기, 등록일시, 유사타겟 (→ detail), SEED 종류, SEED 타겟,
 * 타겟 상태, 타겟 업데이트 일시, 자동 업데이트 (a switch: PATCH autoUpdate); n / 30.
 */
import { Anchor, Button, Group, Stack, Switch, Text, Tooltip } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate } from '../../../i18n';
import { useCan } from '../../../shell/auth';
import { DataTable } from '../../../ui/DataTable';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { LookalikeStatusBadge, PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { TargetListTitle, useLimitReason } from '../../../ui/TargetLimit';
import { LOOKALIKES_KEY, useLookalikes } from './api';
import { ns } from './i18n';
import { Lookalike, seedHref } from './types';

export function LookalikeList() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const list = useLookalikes();
  const full = useLimitReason('lookalike');
  const qc = useQueryClient();
  const toggle = useMutation({
    mutationFn: (v: { id: string; autoUpdate: boolean }) => unwrap(api.PATCH('/v1/targets/lookalikes/{id}', { params: { path: { id: v.id } }, body: { autoUpdate: v.autoUpdate } })),
    onSettled: () => qc.invalidateQueries({ queryKey: LOOKALIKES_KEY }),
  });
  const columns: ColumnDef<Lookalike>[] = [
    { accessorKey: 'createdAt', header: t('columns.createdAt'), cell: (c) => formatDate(c.getValue<string>()) },
    { accessorKey: 'name', header: t('columns.name'), cell: (c) => <Anchor component={Link} to={`/targets/lookalikes/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor> },
    { id: 'seedType', header: t('columns.seedType'), accessorFn: (l) => l.seed.type, cell: (c) => t(`seedTypes.${c.row.original.seed.type}`) },
    {
      id: 'seed',
      header: t('columns.seed'),
      accessorFn: (l) => l.seed.name,
      cell: (c) => {
        const s = c.row.original.seed;
        const href = seedHref(s);
        return href ? <Anchor component={Link} to={href} size="sm">{s.name}</Anchor> : <Text size="sm">{s.name}</Text>;
      },
    },
    { accessorKey: 'status', header: t('columns.status'), cell: (c) => <LookalikeStatusBadge status={c.row.original.status} error={c.row.original.error} /> },
    { id: 'population', header: t('columns.population'), accessorFn: (l) => l.population.count ?? -1, cell: (c) => <PopulationBadge population={c.row.original.population} /> },
    { accessorKey: 'updatedAt', header: t('columns.updatedAt'), cell: (c) => formatDate(c.getValue<string | null>()) },
    { accessorKey: 'autoUpdate', header: t('columns.autoUpdate'), cell: (c) => <AutoUpdate lookalike={c.row.original} onChange={(autoUpdate) => toggle.mutate({ id: c.row.original.id, autoUpdate })} /> },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <TargetListTitle kind="lookalike" title={t('title')} intro={t('intro')} />
        {full ? (
          <Tooltip label={full} multiline w={280}>
            <Button disabled data-disabled-reason={full} aria-description={full}>{t('create')}</Button>
          </Tooltip>
        ) : (
          <GuardedButton permission="targets.write" onClick={() => navigate('/targets/lookalikes/new')}>{t('create')}</GuardedButton>
        )}
      </Group>
      {full && <Notice tone="warning">{full}</Notice>}
      <ProblemAlert error={list.error ?? toggle.error} />
      <DataTable label={t('list')} data={list.data?.items ?? []} columns={columns} />
      <Text size="xs" c="dimmed">{t('notes')}</Text>
    </Stack>
  );
}

function AutoUpdate({ lookalike, onChange }: { lookalike: Lookalike; onChange: (v: boolean) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('targets.write');
  return (
    <Tooltip label={can.allowed ? t('autoUpdateHint') : can.reason} multiline w={280}>
      <Switch
        checked={lookalike.autoUpdate}
        onChange={(e) => onChange(e.currentTarget.checked)}
        disabled={!can.allowed || lookalike.status === 'ERROR'}
        aria-label={t('autoUpdateOf', { name: lookalike.name })}
        onLabel="ON"
        offLabel="OFF"
        size="md"
        data-testid="auto-update"
      />
    </Tooltip>
  );
}
