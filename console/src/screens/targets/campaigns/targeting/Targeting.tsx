/**
 * 타게팅 > 맞춤타겟 > 내 데이터 of an ad group: the picker, the 예상 모수 panel — POST
 * /v1/ad-groups/{id}/reach with the selection, debounced 400 ms so it follows the clicks without a
 * request per click — and 타게팅 저장 (PUT …/targeting). Problems at /include/<i> or /exclude/<i>
 * show on that target's row.
 */
import { Button, Grid, Group, Paper, Stack, Text, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiProblem, unwrap } from '../../../../api/client';
import { GuardedButton } from '../../../../ui/Guarded';
import { Notice } from '../../../../ui/Notice';
import { usePopulationBlocker } from '../../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../../ui/Problem';
import { CAMPAIGNS_KEY } from '../api';
import { ns } from '../i18n';
import type { AdGroup, Campaign, Reach, TargetBase } from '../types';
import { ReachPanel } from './ReachPanel';
import { type Selection, TargetPicker } from './TargetPicker';

interface FriendGroupRef {
  id: string;
  channel: { id: string; name: string; searchId: string };
}

/** Messages of the problems naming a target of the selection, by target id. */
function rowErrors(error: unknown, sel: Selection): Map<string, string> {
  const out = new Map<string, string>();
  if (!(error instanceof ApiProblem)) return out;
  for (const e of error.errors) {
    const m = /^\/(include|exclude)\/(\d+)$/.exec(e.pointer);
    const id = m ? sel[m[1] as keyof Selection][Number(m[2])] : undefined;
    if (id) out.set(id, e.message);
  }
  return out;
}

export function Targeting({ adGroup, campaign }: { adGroup: AdGroup; campaign: Campaign }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const blocker = usePopulationBlocker();
  const saved = useMemo<Selection>(() => ({ include: adGroup.targeting.include.map((x) => x.id), exclude: adGroup.targeting.exclude.map((x) => x.id) }), [adGroup]);
  const [sel, setSel] = useState<Selection>(saved);
  const [done, setDone] = useState(false);
  const targets = useQuery({ queryKey: ['targets', 'all'], queryFn: () => unwrap<{ items: TargetBase[] }>(api.GET('/v1/targets')) });
  const hasFriendGroups = (targets.data?.items ?? []).some((x) => x.kind === 'friend_group');
  const friendGroups = useQuery({
    queryKey: ['targets', 'friend-groups', 'channels'],
    enabled: hasFriendGroups,
    queryFn: () => unwrap<{ items: FriendGroupRef[] }>(api.GET('/v1/targets/friend-groups')),
  });
  const [debounced] = useDebouncedValue(sel, 400);
  const reach = useQuery({
    queryKey: ['ad-group-reach', adGroup.id, debounced],
    queryFn: () => unwrap<Reach>(api.POST('/v1/ad-groups/{id}/reach', { params: { path: { id: adGroup.id } }, body: debounced })),
    placeholderData: keepPreviousData,
    retry: false,
  });
  const save = useMutation({
    mutationFn: () => unwrap<AdGroup>(api.PUT('/v1/ad-groups/{id}/targeting', { params: { path: { id: adGroup.id } }, body: sel })),
    onSuccess: async () => {
      setDone(true);
      await qc.invalidateQueries({ queryKey: CAMPAIGNS_KEY });
      await qc.invalidateQueries({ queryKey: ['targets'] });
    },
  });
  const blocked = (x: TargetBase): string | null => {
    const why = blocker(x.population, x.kind === 'customer_file' ? 'registration' : 'creation');
    if (why) return why;
    if (x.kind === 'friend_group') {
      if (campaign.type !== 'MESSAGE' || campaign.messageType !== 'DIRECT_FRIENDS') return t('targeting.friendGroupOnly');
      const group = friendGroups.data?.items.find((g) => g.id === x.id);
      if (group && group.channel.id !== campaign.talkChannelId) return t('targeting.friendGroupChannel', { channel: group.channel.name });
    }
    return null;
  };
  const dirty = JSON.stringify(sel) !== JSON.stringify(saved);
  const stale = JSON.stringify(sel) !== JSON.stringify(debounced) || reach.isPlaceholderData;
  const errors = new Map([...rowErrors(reach.error, debounced), ...rowErrors(save.error, sel)]);
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="targeting-title">
      <Title order={4} id="targeting-title">{t('targeting.title')}</Title>
      <Text size="sm" fw={600} mt={4}>{t('targeting.section')}</Text>
      <Text size="xs" mb="sm">{t('targeting.intro')}</Text>
      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack>
            <ProblemAlert error={targets.error} />
            <TargetPicker targets={targets.data?.items ?? []} value={sel} onChange={(s) => { setDone(false); save.reset(); setSel(s); }} blocked={blocked} rowErrors={errors} />
            {save.error && errors.size === 0 ? <ProblemAlert error={save.error} /> : null}
            {done && !dirty && <Notice tone="success" data-testid="targeting-saved">{t('targeting.saved')}</Notice>}
            <Group justify="flex-end">
              {dirty && <Text size="sm">{t('targeting.unsaved')}</Text>}
              <Button variant="default" disabled={!dirty} onClick={() => { save.reset(); setSel(saved); }}>{t('targeting.reset')}</Button>
              <GuardedButton permission="campaigns.write" onClick={() => save.mutate()} loading={save.isPending} disabled={!dirty}>{t('targeting.save')}</GuardedButton>
            </Group>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <ReachPanel reach={reach.data} stale={stale} fetching={reach.isFetching} error={reach.error && errors.size === 0 ? reach.error : null} campaignType={campaign.type} />
        </Grid.Col>
      </Grid>
    </Paper>
  );
}
