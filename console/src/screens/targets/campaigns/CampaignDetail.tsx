/** 캠페인 상세 (/targets/campaigns/<id>): type, channel, its ad groups with their 맞춤타겟 counts, + 광고그룹 만들기, delete. */
import { Anchor, Group, Loader, Stack, Text, Title } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate } from '../../../i18n';
import { DataTable } from '../../../ui/DataTable';
import { Facts } from '../../../ui/Facts';
import { GuardedButton } from '../../../ui/Guarded';
import { ProblemAlert } from '../../../ui/Problem';
import { useAdGroups, useCampaign, useTalkChannels } from './api';
import { campaignTypeText } from './CampaignList';
import { ConfirmDelete } from '../../../ui/ConfirmDelete';
import { CreateNamed } from './CreateDialogs';
import { ns } from './i18n';
import type { AdGroup } from './types';

export function CampaignDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const campaign = useCampaign(id);
  const adGroups = useAdGroups(id);
  const channels = useTalkChannels(campaign.data?.type === 'MESSAGE');
  if (campaign.isPending) return <Loader aria-label={t('common:loading')} />;
  const c = campaign.data;
  const channel = channels.data?.items.find((x) => x.id === c?.talkChannelId);
  const columns: ColumnDef<AdGroup>[] = [
    { accessorKey: 'name', header: t('campaign.adGroupName'), cell: (x) => <Anchor component={Link} to={`/targets/campaigns/ad-groups/${x.row.original.id}`} size="sm">{x.getValue<string>()}</Anchor> },
    {
      id: 'targeting',
      header: t('campaign.targeting'),
      accessorFn: (g) => g.targeting.include.length + g.targeting.exclude.length,
      cell: (x) => {
        const g = x.row.original.targeting;
        return g.include.length + g.exclude.length === 0 ? t('campaign.noTargeting') : t('campaign.targetingCount', { include: g.include.length, exclude: g.exclude.length });
      },
    },
    { accessorKey: 'createdAt', header: t('columns.createdAt'), cell: (x) => formatDate(x.getValue<string>()) },
    { accessorKey: 'updatedAt', header: t('columns.updatedAt'), cell: (x) => formatDate(x.getValue<string>()) },
  ];
  return (
    <Stack>
      <Anchor component={Link} to="/targets/campaigns" size="sm">← {t('campaign.back')}</Anchor>
      <ProblemAlert error={campaign.error} />
      {c && (
        <>
          <Group justify="space-between">
            <Title order={3}>{c.name}</Title>
            <ConfirmDelete
              permission="campaigns.write"
              label={t('campaign.delete')}
              confirm={t('campaign.confirm', { name: c.name })}
              onDelete={() => unwrap(api.DELETE('/v1/campaigns/{id}', { params: { path: { id } } }))}
              onDeleted={() => navigate('/targets/campaigns')}
            />
          </Group>
          <Facts
            items={[
              [t('columns.type'), campaignTypeText(t, c)],
              ...(c.type === 'MESSAGE' ? [[t('form.channel'), channel ? `${channel.name} (${channel.searchId})` : c.talkChannelId ?? '—'] as [string, string]] : []),
              [t('columns.createdAt'), formatDate(c.createdAt)],
              [t('columns.updatedAt'), formatDate(c.updatedAt)],
            ]}
          />
          <Group justify="space-between">
            <Title order={4}>{t('campaign.adGroups')}</Title>
            <GuardedButton permission="campaigns.write" onClick={() => setOpen(true)}>{t('campaign.createAdGroup')}</GuardedButton>
          </Group>
          <ProblemAlert error={adGroups.error} />
          <DataTable label={t('campaign.adGroups')} data={adGroups.data?.items ?? []} columns={columns} searchable={false} />
          <Text size="xs">{t('targeting.intro')}</Text>
          {open && (
            <CreateNamed
              title={t('campaign.createAdGroupTitle')}
              label={t('campaign.adGroupName')}
              create={(name) => unwrap<AdGroup>(api.POST('/v1/ad-groups', { body: { campaignId: id, name } }))}
              onClose={() => setOpen(false)}
              onCreated={() => setOpen(false)}
            />
          )}
        </>
      )}
    </Stack>
  );
}
