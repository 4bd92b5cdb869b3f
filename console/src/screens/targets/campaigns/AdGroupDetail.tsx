/**
 * 광고그룹 (/targets/campaigns/ad-groups/<id>, where 타겟 사용 현황 links): its campaign, its messages
 * (message campaigns record reactions per message; + 메시지 만들기), and 타게팅 > 맞춤타겟 > 내 데이터
 * with the 예상 모수 panel.
 */
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
import { useAdGroup, useCampaign, useMessages } from './api';
import { campaignTypeText } from './CampaignList';
import { ConfirmDelete } from '../../../ui/ConfirmDelete';
import { CreateNamed } from './CreateDialogs';
import { ns } from './i18n';
import { Targeting } from './targeting/Targeting';
import type { AdGroup, Message } from './types';

export function AdGroupDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const adGroup = useAdGroup(id);
  const campaignId = adGroup.data?.campaignId;
  const campaign = useCampaign(campaignId ?? '');
  if (adGroup.isPending || (campaignId && campaign.isPending)) return <Loader aria-label={t('common:loading')} />;
  const g = adGroup.data;
  const c = campaign.data;
  return (
    <Stack>
      {g && <Anchor component={Link} to={`/targets/campaigns/${g.campaignId}`} size="sm">← {g.campaign.name}</Anchor>}
      <ProblemAlert error={adGroup.error ?? campaign.error} />
      {g && c && (
        <>
          <Group justify="space-between">
            <div>
              <Text size="xs">{t('adGroup.title')}</Text>
              <Title order={3}>{g.name}</Title>
            </div>
            <ConfirmDelete
              permission="campaigns.write"
              label={t('adGroup.delete')}
              confirm={t('adGroup.confirm', { name: g.name })}
              onDelete={() => unwrap(api.DELETE('/v1/ad-groups/{id}', { params: { path: { id } } }))}
              onDeleted={() => navigate(`/targets/campaigns/${g.campaignId}`)}
            />
          </Group>
          <Facts
            items={[
              [t('adGroup.campaign'), <Anchor component={Link} to={`/targets/campaigns/${c.id}`} size="sm">{c.name}</Anchor>],
              [t('columns.type'), campaignTypeText(t, c)],
              [t('columns.createdAt'), formatDate(g.createdAt)],
              [t('columns.updatedAt'), formatDate(g.updatedAt)],
            ]}
          />
          {c.type === 'MESSAGE' && <Messages adGroup={g} />}
          <Targeting key={g.id} adGroup={g} campaign={c} />
        </>
      )}
    </Stack>
  );
}

function Messages({ adGroup }: { adGroup: AdGroup }) {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState(false);
  const messages = useMessages(adGroup.id);
  const columns: ColumnDef<Message>[] = [
    { accessorKey: 'name', header: t('adGroup.messageName') },
    { accessorKey: 'createdAt', header: t('columns.createdAt'), cell: (x) => formatDate(x.getValue<string>()) },
  ];
  return (
    <Stack gap="xs">
      <Group justify="space-between">
        <Title order={4}>{t('adGroup.messages')}</Title>
        <GuardedButton permission="campaigns.write" onClick={() => setOpen(true)}>{t('adGroup.createMessage')}</GuardedButton>
      </Group>
      <ProblemAlert error={messages.error} />
      {messages.data && messages.data.items.length === 0 ? (
        <Text size="sm">{t('adGroup.noMessages')}</Text>
      ) : (
        <DataTable label={t('adGroup.messages')} data={messages.data?.items ?? []} columns={columns} searchable={false} />
      )}
      {open && (
        <CreateNamed
          title={t('adGroup.createMessageTitle')}
          label={t('adGroup.messageName')}
          create={(name) => unwrap<Message>(api.POST('/v1/messages', { body: { adGroupId: adGroup.id, name } }))}
          onClose={() => setOpen(false)}
          onCreated={() => setOpen(false)}
        />
      )}
    </Stack>
  );
}
