/**
 * 1단계 캠페인 불러오기: ① 캠페인 선택하기 (display or message campaigns; 다이렉트 메시지 > 친구
 * 전체/그룹 campaigns shown but not selectable, with the reason) ② 광고그룹 / 메시지 선택하기 (at most
 * 10 over the campaigns of one type, kept while another campaign is chosen) ③ the reactions.
 */
import { Anchor, Checkbox, CloseButton, Group, Loader, Paper, Radio, ScrollArea, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ProblemAlert } from '../../../../ui/Problem';
import { useAdGroups, useCampaigns, useMessages } from '../../campaigns/api';
import type { Campaign } from '../../campaigns/types';
import { combinationFor, type Draft, MAX_SOURCES } from '../draft';
import { ns } from '../i18n';
import type { ReactionSource } from '../types';
import { Reactions } from './Reactions';

export function StepCampaign({ draft, onChange }: { draft: Draft; onChange: (d: Draft) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const campaigns = useCampaigns();
  const items = campaigns.data?.items ?? [];
  const chosen = items.find((c) => c.id === draft.campaignId) ?? null;
  const blocked = (c: Campaign): string | null => {
    if (c.type === 'MESSAGE' && c.messageType === 'DIRECT_FRIENDS') return t('wizard.directFriends');
    if (draft.sources.length > 0 && draft.campaignType !== c.type) return t('wizard.otherType', { type: t(`campaignTypes.${draft.campaignType}`) });
    return null;
  };
  const choose = (id: string) => {
    const c = items.find((x) => x.id === id);
    if (!c || blocked(c)) return;
    onChange({ ...draft, campaignId: c.id, campaignType: c.type, combination: combinationFor(c.type, draft.combination) });
  };
  const toggle = (s: ReactionSource, on: boolean) =>
    onChange({ ...draft, sources: on ? [...draft.sources, s] : draft.sources.filter((x) => x.id !== s.id) });
  return (
    <Stack>
      <SimpleGrid cols={{ base: 1, md: 2 }} spacing="md">
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="choose-campaign">
          <Title order={4} size="h5" id="choose-campaign">① {t('wizard.chooseCampaign')}</Title>
          <Text size="xs" mb="xs">{t('wizard.chooseCampaignHint')}</Text>
          <ProblemAlert error={campaigns.error} />
          {campaigns.isPending ? (
            <Loader size="sm" aria-label={t('common:loading')} />
          ) : items.length === 0 ? (
            <Text size="sm">
              {t('wizard.noCampaigns')} <Anchor component={Link} to="/targets/campaigns" size="sm">{t('wizard.toCampaigns')}</Anchor>
            </Text>
          ) : (
            <ScrollArea.Autosize mah={320}>
              <Radio.Group value={draft.campaignId} onChange={choose} aria-label={t('wizard.campaigns')}>
                <Stack gap="xs">
                  {items.map((c) => {
                    const reason = blocked(c);
                    return (
                      <Radio
                        key={c.id}
                        value={c.id}
                        disabled={reason !== null}
                        label={c.name}
                        data-testid={`campaign-${c.id}`}
                        description={reason ?? `${t(`campaignTypes.${c.type}`)} · ${t('wizard.adGroupCount', { count: c.adGroupCount })}`}
                      />
                    );
                  })}
                </Stack>
              </Radio.Group>
            </ScrollArea.Autosize>
          )}
        </Paper>
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="choose-sources">
          <Title order={4} size="h5" id="choose-sources">② {t(`wizard.chooseSources.${draft.campaignType ?? 'DISPLAY'}`)}</Title>
          <Text size="xs" mb="xs">{t('wizard.chooseSourcesHint')}</Text>
          {chosen ? <SourcePicker campaign={chosen} selected={draft.sources} onToggle={toggle} /> : <Text size="sm">{t('wizard.pickCampaignFirst')}</Text>}
        </Paper>
      </SimpleGrid>
      <Selected sources={draft.sources} onRemove={(s) => toggle(s, false)} />
      {draft.campaignType && (
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="choose-reactions">
          <Title order={4} size="h5" id="choose-reactions" mb="xs">③ {t(`wizard.chooseReactions.${draft.campaignType}`)}</Title>
          <Reactions type={draft.campaignType} value={draft.combination} onChange={(combination) => onChange({ ...draft, combination })} />
        </Paper>
      )}
    </Stack>
  );
}

/** The chosen campaign's ad groups (display) or messages (message campaigns) as checkboxes. */
function SourcePicker({ campaign, selected, onToggle }: { campaign: Campaign; selected: ReactionSource[]; onToggle: (s: ReactionSource, on: boolean) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const display = campaign.type === 'DISPLAY';
  const adGroups = useAdGroups(display ? campaign.id : null);
  const messages = useMessages(null, !display);
  const ref = { id: campaign.id, name: campaign.name, type: campaign.type, messageType: campaign.messageType };
  const sources: ReactionSource[] = display
    ? (adGroups.data?.items ?? []).map((g) => ({ id: g.id, kind: 'ad_group', name: g.name, adGroup: null, campaign: ref }))
    : (messages.data?.items ?? []).filter((m) => m.campaign.id === campaign.id).map((m) => ({ id: m.id, kind: 'message', name: m.name, adGroup: m.adGroup, campaign: ref }));
  const pending = display ? adGroups.isPending : messages.isPending;
  const full = selected.length >= MAX_SOURCES;
  if (pending) return <Loader size="sm" aria-label={t('common:loading')} />;
  return (
    <Stack gap="xs">
      <ProblemAlert error={adGroups.error ?? messages.error} />
      {sources.length === 0 && <Text size="sm">{display ? t('wizard.noAdGroups') : t('wizard.noMessages')}</Text>}
      {sources.map((s) => {
        const on = selected.some((x) => x.id === s.id);
        return (
          <Checkbox
            key={s.id}
            checked={on}
            disabled={!on && full}
            onChange={(e) => onToggle(s, e.currentTarget.checked)}
            label={s.adGroup ? `${s.adGroup.name} › ${s.name}` : s.name}
            description={!on && full ? t('wizard.maxReached', { max: MAX_SOURCES }) : undefined}
          />
        );
      })}
    </Stack>
  );
}

function Selected({ sources, onRemove }: { sources: ReactionSource[]; onRemove: (s: ReactionSource) => void }) {
  const { t } = useTranslation(ns);
  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-labelledby="selected-sources">
      <Text fw={600} size="sm" id="selected-sources" data-testid="selected-count">{t('wizard.selected', { count: sources.length, max: MAX_SOURCES })}</Text>
      {sources.length === 0 ? (
        <Text size="sm">{t('wizard.noneSelected')}</Text>
      ) : (
        <Group gap="xs" mt={4}>
          {sources.map((s) => (
            <Group key={s.id} gap={2} wrap="nowrap" px={8} py={2} style={{ border: '1px solid var(--mantine-color-gray-4)', borderRadius: 16 }}>
              <Text size="sm">{`${s.campaign.name} › ${s.adGroup ? `${s.adGroup.name} › ` : ''}${s.name}`}</Text>
              <CloseButton size="sm" aria-label={t('wizard.remove', { name: s.name })} onClick={() => onRemove(s)} />
            </Group>
          ))}
        </Group>
      )}
    </Paper>
  );
}
