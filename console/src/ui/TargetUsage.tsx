/**
 * 타겟 사용 현황 of any first-party target: the ad groups (with their display or message campaigns),
 * activations and lookalikes that use it — the API's TargetUser list (src/targets/service.ts) — and
 * the delete button, whose 409 refusal shows the API's problem with the list of users it names.
 */
import { Anchor, Button, Group, Stack, Table, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ApiProblem } from '../api/client';
import { translations } from '../i18n';
import { Dialog } from './Dialog';
import { GuardedButton } from './Guarded';
import { ProblemAlert } from './Problem';

/** src/targets/service.ts TargetUser. */
export interface TargetUser {
  type: 'ad_group' | 'campaign' | 'audience' | 'activation' | 'lookalike';
  id: string;
  name: string;
  role?: string;
  campaign?: { id: string; name: string; type: string };
}

export const targetUsageNs = translations('targetUsage', {
  ko: {
    title: '타겟 사용 현황',
    none: '이 타겟을 사용 중인 캠페인, 광고그룹이 없습니다.',
    type: '구분',
    campaign: '캠페인',
    user: '사용처',
    role: '사용 방식',
    types: { ad_group: '광고그룹', campaign: '캠페인', audience: '대상자', activation: '활성화', lookalike: '유사타겟' },
    campaignTypes: { DISPLAY: '디스플레이', MESSAGE: '메시지' },
    roles: { include: '포함', exclude: '제외', seed: 'SEED 타겟' },
    delete: '삭제',
    confirmTitle: '타겟 삭제',
    confirm: '"{{name}}"을(를) 삭제합니다. 삭제한 타겟은 되돌릴 수 없습니다.',
    inUse: '사용 중인 곳에서 먼저 빼 주세요:',
    refused: '사용 중인 타겟은 삭제할 수 없습니다.',
  },
  en: {
    title: 'Target usage',
    none: 'No campaign or ad group uses this target.',
    type: 'Kind',
    campaign: 'Campaign',
    user: 'Used by',
    role: 'Used as',
    types: { ad_group: 'Ad group', campaign: 'Campaign', audience: 'Audience', activation: 'Activation', lookalike: 'Lookalike' },
    campaignTypes: { DISPLAY: 'Display', MESSAGE: 'Message' },
    roles: { include: 'Include', exclude: 'Exclude', seed: 'Seed' },
    delete: 'Delete',
    confirmTitle: 'Delete target',
    confirm: 'Delete "{{name}}"? A deleted target cannot be restored.',
    inUse: 'Remove it from these first:',
    refused: 'A target in use cannot be deleted.',
  },
});

function hrefOf(u: TargetUser): string | undefined {
  if (u.type === 'lookalike') return `/targets/lookalikes/${u.id}`;
  if (u.type === 'activation') return `/activations/${u.id}`;
  if (u.type === 'audience') return `/audiences/${u.id}`;
  if (u.type === 'ad_group') return `/targets/campaigns/ad-groups/${u.id}`;
  if (u.type === 'campaign') return `/targets/campaigns/${u.id}`;
  return undefined;
}

export function TargetUsageTable({ usage, label }: { usage: TargetUser[]; label?: string }) {
  const { t } = useTranslation(targetUsageNs);
  return (
    <Table withTableBorder aria-label={label ?? t('title')} data-testid="target-usage">
      <Table.Thead>
        <Table.Tr>
          <Table.Th>{t('type')}</Table.Th>
          <Table.Th>{t('campaign')}</Table.Th>
          <Table.Th>{t('user')}</Table.Th>
          <Table.Th>{t('role')}</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {usage.length === 0 ? (
          <Table.Tr>
            <Table.Td colSpan={4}>
              <Text size="sm">{t('none')}</Text>
            </Table.Td>
          </Table.Tr>
        ) : (
          usage.map((u) => {
            const href = hrefOf(u);
            return (
              <Table.Tr key={`${u.type}:${u.id}:${u.role ?? ''}`}>
                <Table.Td>{t(`types.${u.type}`, { defaultValue: u.type })}</Table.Td>
                <Table.Td>{u.campaign ? `${u.campaign.name} (${t(`campaignTypes.${u.campaign.type}`, { defaultValue: u.campaign.type })})` : '—'}</Table.Td>
                <Table.Td>{href ? <Anchor component={Link} to={href} size="sm">{u.name}</Anchor> : u.name}</Table.Td>
                <Table.Td>{u.role ? t(`roles.${u.role}`, { defaultValue: u.role }) : '—'}</Table.Td>
              </Table.Tr>
            );
          })
        )}
      </Table.Tbody>
    </Table>
  );
}

/** The users a 409 refusal names (body.usage), if any. */
export function usageOfProblem(error: unknown): TargetUser[] {
  const usage = error instanceof ApiProblem ? error.body.usage : undefined;
  return Array.isArray(usage) ? (usage as TargetUser[]) : [];
}

/**
 * Delete with a confirmation; a refusal (409 while in use) stays in the dialog with the API's
 * problem and the list of users, so the user sees where to remove it from.
 */
export function DeleteTargetButton({ name, permission = 'targets.write', onDelete, onDeleted }: { name: string; permission?: string; onDelete: () => Promise<unknown>; onDeleted: () => void }) {
  const { t } = useTranslation([targetUsageNs, 'common']);
  const [open, setOpen] = useState(false);
  const del = useMutation({ mutationFn: onDelete, onSuccess: () => { setOpen(false); onDeleted(); } });
  const users = usageOfProblem(del.error);
  return (
    <>
      <GuardedButton permission={permission} color="red.9" variant="outline" onClick={() => { del.reset(); setOpen(true); }}>{t('delete')}</GuardedButton>
      <Dialog opened={open} onClose={() => setOpen(false)} title={t('confirmTitle')} size="lg">
        <Stack>
          {users.length > 0 ? <Text size="sm" fw={600} data-testid="delete-refused">{t('refused')}</Text> : <Text size="sm">{t('confirm', { name })}</Text>}
          <ProblemAlert error={del.error} />
          {users.length > 0 && (
            <>
              <Text size="sm" fw={500}>{t('inUse')}</Text>
              <TargetUsageTable usage={users} />
            </>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>{t('common:cancel')}</Button>
            <Button color="red.8" loading={del.isPending} disabled={users.length > 0} onClick={() => del.mutate()} data-testid="confirm-delete">{t('delete')}</Button>
          </Group>
        </Stack>
      </Dialog>
    </>
  );
}
