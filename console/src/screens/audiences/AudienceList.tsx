/** Audiences: name, size (last evaluation), status, last evaluation, schedule, last updated. */
import { Anchor, Badge, Checkbox, Group, Stack, Text, Title, Tooltip } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { formatDate, formatNumber } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { ProblemAlert } from '../../ui/Problem';
import { useAudiences } from './api';
import { ns } from './i18n';
import { OverlapModal } from './insights/OverlapModal';
import type { Audience, AudienceStatus, Evaluation } from './types';

export const STATUS_COLOR: Record<AudienceStatus, string> = { draft: 'gray', published: 'green', archived: 'orange' };
export const EVAL_COLOR: Record<Evaluation['status'], string> = { queued: 'gray', running: 'blue', success: 'green', failed: 'red' };

export function StatusBadge({ status }: { status: AudienceStatus }) {
  const { t } = useTranslation(ns);
  return <Badge color={STATUS_COLOR[status]} variant="dot">{t(`statuses.${status}`)}</Badge>;
}

export function AudienceList() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const list = useAudiences();
  // Audiences picked for the overlap (2–3), in the order picked: A, B, C.
  const [picked, setPicked] = useState<string[]>([]);
  const [overlapOpen, setOverlapOpen] = useState(false);
  const toggle = (id: string, on: boolean) => setPicked((p) => (on ? [...p.filter((x) => x !== id), id] : p.filter((x) => x !== id)));
  const columns: ColumnDef<Audience>[] = [
    {
      id: 'pick',
      header: '',
      enableSorting: false,
      cell: (c) => (
        <Checkbox
          aria-label={t('overlap.select', { name: c.row.original.name })}
          checked={picked.includes(c.row.original.id)}
          disabled={!picked.includes(c.row.original.id) && picked.length >= 3}
          onChange={(e) => toggle(c.row.original.id, e.currentTarget.checked)}
        />
      ),
    },
    { accessorKey: 'name', header: t('common:name'), cell: (c) => <Anchor component={Link} to={`/audiences/${c.row.original.id}`}>{c.getValue<string>()}</Anchor> },
    { accessorKey: 'size', header: t('size'), cell: (c) => formatNumber(c.getValue<number | null>()) },
    { accessorKey: 'status', header: t('common:status'), cell: (c) => <StatusBadge status={c.getValue<AudienceStatus>()} /> },
    {
      id: 'lastEvaluation',
      accessorFn: (a) => a.lastEvaluation?.createdAt ?? '',
      header: t('lastEvaluation'),
      cell: (c) => {
        const e = c.row.original.lastEvaluation;
        if (!e) return <Text size="sm" c="dimmed">{t('never')}</Text>;
        return (
          <Group gap={6} wrap="nowrap">
            <Badge size="sm" variant="dot" color={EVAL_COLOR[e.status]}>{t(`evalStatuses.${e.status}`)}</Badge>
            <Text size="sm">{formatDate(e.finishedAt ?? e.createdAt)}</Text>
          </Group>
        );
      },
    },
    { id: 'schedule', accessorFn: (a) => a.schedule?.dailyAt ?? '', header: t('schedule'), cell: (c) => (c.row.original.schedule ? t('dailyAt', { at: c.row.original.schedule.dailyAt }) : t('manual')) },
    { accessorKey: 'updatedAt', header: t('common:updated'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>{t('title')}</Title>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        <Group>
          <Tooltip label={t('overlap.needs')} disabled={picked.length >= 2}>
            <span>
              <GuardedButton permission="audiences.read" variant="default" disabled={picked.length < 2} onClick={() => setOverlapOpen(true)} data-testid="overlap-action">
                {t('overlap.action')}{picked.length ? ` (${picked.length})` : ''}
              </GuardedButton>
            </span>
          </Tooltip>
          <GuardedButton permission="audiences.write" onClick={() => navigate('/audiences/new')}>{t('create')}</GuardedButton>
        </Group>
      </Group>
      <OverlapModal audienceIds={picked} opened={overlapOpen} onClose={() => setOverlapOpen(false)} />
      <ProblemAlert error={list.error} />
      {list.isLoading ? <Text size="sm">{t('common:loading')}</Text> : <DataTable label={t('title')} data={list.data ?? []} columns={columns} />}
    </Stack>
  );
}
