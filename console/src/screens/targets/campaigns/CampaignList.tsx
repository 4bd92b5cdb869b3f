/** 캠페인 목록: name (→ its ad groups), 유형 (디스플레이 / 메시지 with the message type), 광고그룹 count, dates; + 캠페인 만들기. */
import { Anchor, Group, Stack, Text } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { formatDate } from '../../../i18n';
import { DataTable } from '../../../ui/DataTable';
import { GuardedButton } from '../../../ui/Guarded';
import { ProblemAlert } from '../../../ui/Problem';
import { useCampaigns } from './api';
import { CreateCampaign } from './CreateDialogs';
import { ns } from './i18n';
import type { Campaign } from './types';

export function campaignTypeText(t: (k: string) => string, c: Pick<Campaign, 'type' | 'messageType'>): string {
  return c.type === 'MESSAGE' && c.messageType ? `${t('types.MESSAGE')} · ${t(`messageTypes.${c.messageType}`)}` : t(`types.${c.type}`);
}

export function CampaignList() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const campaigns = useCampaigns();
  const columns: ColumnDef<Campaign>[] = [
    { accessorKey: 'name', header: t('columns.name'), cell: (c) => <Anchor component={Link} to={`/targets/campaigns/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor> },
    { id: 'type', header: t('columns.type'), accessorFn: (c) => campaignTypeText(t, c) },
    { accessorKey: 'adGroupCount', header: t('columns.adGroups'), cell: (c) => t('count', { count: c.getValue<number>() }) },
    { accessorKey: 'createdAt', header: t('columns.createdAt'), cell: (c) => formatDate(c.getValue<string>()) },
    { accessorKey: 'updatedAt', header: t('columns.updatedAt'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <div>
          <Text fw={600}>{t('title')}</Text>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        <GuardedButton permission="campaigns.write" onClick={() => setOpen(true)}>{t('create')}</GuardedButton>
      </Group>
      <ProblemAlert error={campaigns.error} />
      <DataTable label={t('list')} data={campaigns.data?.items ?? []} columns={columns} />
      {open && <CreateCampaign onClose={() => setOpen(false)} onCreated={(c) => navigate(`/targets/campaigns/${c.id}`)} />}
    </Stack>
  );
}
