/** Policies: core and custom, with status (DRAFT / ENABLED / DISABLED), actions, deny expression; enable or disable in place. */
import { Anchor, Badge, Group, SegmentedControl, Stack, Text } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { useMarketingActions, useMarketingActionText } from '../../ui/marketing-actions';
import { policyName } from '../../ui/policy-name';
import { ProblemAlert } from '../../ui/Problem';
import { Policy, policyKeys, PolicyStatus, STATUSES, usePolicies } from './api';
import { toText } from './expression';
import { ns } from './i18n';

const STATUS_COLOR: Record<PolicyStatus, { color?: string; variant: string }> = {
  DRAFT: { color: 'violet.9', variant: 'outline' },
  ENABLED: { color: 'teal.9', variant: 'filled' },
  DISABLED: { variant: 'default' },
};

export function StatusBadge({ status }: { status: PolicyStatus }) {
  const { t } = useTranslation(ns);
  return (
    <Badge {...STATUS_COLOR[status]} data-status={status} style={{ minWidth: 'max-content' }}>
      {t(`status.${status}`)}
    </Badge>
  );
}

/** Enable a draft or disabled policy, disable an enabled one. */
export function StatusToggle({ policy }: { policy: Policy }) {
  const { t } = useTranslation(ns);
  const qc = useQueryClient();
  const next: PolicyStatus = policy.status === 'ENABLED' ? 'DISABLED' : 'ENABLED';
  const change = useMutation({
    mutationFn: () => unwrap<Policy>(api.PATCH('/v1/policies/{id}', { params: { path: { id: policy.id } }, body: { status: next } })),
    onSuccess: async (saved) => {
      qc.setQueryData(policyKeys.one(saved.id), saved);
      await qc.invalidateQueries({ queryKey: policyKeys.list });
    },
  });
  return (
    <Stack gap={2}>
      <GuardedButton
        permission="policies.write"
        size="xs"
        variant={next === 'ENABLED' ? 'filled' : 'default'}
        onClick={() => change.mutate()}
        loading={change.isPending}
        aria-label={`${t(next === 'ENABLED' ? 'enable' : 'disable')}: ${policyName(policy)}`}
      >
        {t(next === 'ENABLED' ? 'enable' : 'disable')}
      </GuardedButton>
      <ProblemAlert error={change.error} />
    </Stack>
  );
}

export function PolicyList() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const list = usePolicies();
  const actions = useMarketingActions();
  const actionText = useMarketingActionText();
  const [status, setStatus] = useState<'ALL' | PolicyStatus>('ALL');
  const actionName = (n: string) => {
    const a = actions.data?.find((x) => x.name === n);
    return a ? actionText.name(a) : n;
  };
  const columns: ColumnDef<Policy>[] = [
    {
      id: 'name',
      accessorFn: (p) => policyName(p),
      header: t('common:name'),
      cell: (c) => (
        <Group gap={6} wrap="nowrap">
          <Anchor component={Link} to={`/governance/policies/${c.row.original.id}`} fw={600}>{c.getValue<string>()}</Anchor>
          {c.row.original.core && <Badge size="xs" variant="default" style={{ minWidth: 'max-content' }}>{t('coreItem')}</Badge>}
        </Group>
      ),
    },
    { accessorKey: 'status', header: t('common:status'), cell: (c) => <StatusBadge status={c.getValue<PolicyStatus>()} /> },
    {
      id: 'actions',
      accessorFn: (p) => p.marketingActions.map(actionName).join(', '),
      header: t('marketingActions'),
      cell: ({ row }) => {
        const names = row.original.marketingActions.map(actionName);
        return (
          <Text size="sm">
            {names.slice(0, 3).join(', ')}
            {names.length > 3 ? ` ${t('more', { count: names.length - 3 })}` : ''}
          </Text>
        );
      },
    },
    { id: 'deny', accessorFn: (p) => toText(p.deny), header: t('deny'), cell: (c) => <code>{c.getValue<string>()}</code> },
    { accessorKey: 'updatedAt', header: t('common:updated'), cell: (c) => formatDate(c.getValue<string>()) },
    { id: 'toggle', header: t('common:actions'), enableSorting: false, cell: ({ row }) => <StatusToggle policy={row.original} /> },
  ];
  const shown = (list.data ?? []).filter((p) => status === 'ALL' || p.status === status);
  return (
    <Stack>
      <Group justify="space-between">
        <SegmentedControl
          aria-label={t('statusFilter')}
          value={status}
          onChange={(v) => setStatus(v as 'ALL' | PolicyStatus)}
          data={[{ value: 'ALL', label: t('allStatuses') }, ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))]}
        />
        <GuardedButton permission="policies.write" onClick={() => navigate('/governance/policies/new')}>{t('createPolicy')}</GuardedButton>
      </Group>
      <ProblemAlert error={list.error} />
      {list.isLoading ? <Text size="sm">{t('common:loading')}</Text> : <DataTable label={t('tabs.policies')} data={shown} columns={columns} />}
    </Stack>
  );
}
