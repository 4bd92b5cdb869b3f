/**
 * ③ 클릭/전환, 열람/클릭 선택하기: the reactions of the campaign type combined as 전체 (all), one
 * reaction, -(차집합: A−B) or &(교집합: A&B), with each reaction's meaning (the data guide).
 */
import { Checkbox, Group, Paper, Radio, Select, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { CAMPAIGN_REACTIONS, type CampaignType, type Reaction } from '../../campaigns/types';
import { combinationLabel, combinationProblem } from '../draft';
import { ns } from '../i18n';
import type { Combination } from '../types';

const TYPES: Combination['type'][] = ['ALL', 'ONE', 'DIFFERENCE', 'INTERSECTION'];

export function Reactions({ type, value, onChange }: { type: CampaignType; value: Combination; onChange: (c: Combination) => void }) {
  const { t } = useTranslation(ns);
  const reactions = CAMPAIGN_REACTIONS[type];
  const options = reactions.map((r) => ({ value: r, label: t(`reactions.${r}`) }));
  const help = (r: Reaction) => t(`reactionHelp.${type}.${r}`);
  const setType = (k: Combination['type']) => {
    if (k === 'ALL') onChange({ type: 'ALL' });
    if (k === 'ONE') onChange({ type: 'ONE', reaction: 'CLICK' });
    if (k === 'DIFFERENCE') onChange({ type: 'DIFFERENCE', include: 'CLICK', exclude: reactions[0] });
    if (k === 'INTERSECTION') onChange({ type: 'INTERSECTION', reactions: ['CLICK', reactions[0]] });
  };
  const problem = combinationProblem(value);
  return (
    <Stack gap="sm">
      <Radio.Group label={t('wizard.combinationType')} value={value.type} onChange={(v) => setType(v as Combination['type'])}>
        <Group mt={4}>
          {TYPES.map((k) => (
            <Radio key={k} value={k} label={t(`combinationTypes.${k}`)} />
          ))}
        </Group>
      </Radio.Group>
      {value.type === 'ONE' && (
        <Radio.Group label={t('wizard.reaction')} value={value.reaction} onChange={(v) => onChange({ type: 'ONE', reaction: v as Reaction })}>
          <Stack gap={6} mt={4}>
            {reactions.map((r) => (
              <Radio key={r} value={r} label={t(`reactions.${r}`)} description={help(r)} />
            ))}
          </Stack>
        </Radio.Group>
      )}
      {value.type === 'DIFFERENCE' && (
        <Group align="flex-end">
          <Select label={t('wizard.include')} data={options} value={value.include} allowDeselect={false} onChange={(v) => v && onChange({ ...value, include: v as Reaction })} w={180} />
          <Text pb={8} aria-hidden>−</Text>
          <Select label={t('wizard.exclude')} data={options} value={value.exclude} allowDeselect={false} onChange={(v) => v && onChange({ ...value, exclude: v as Reaction })} w={180} />
        </Group>
      )}
      {value.type === 'INTERSECTION' && (
        <Checkbox.Group label={t('wizard.intersect')} value={value.reactions} onChange={(v) => onChange({ type: 'INTERSECTION', reactions: reactions.filter((r) => v.includes(r)) })}>
          <Stack gap={6} mt={4}>
            {reactions.map((r) => (
              <Checkbox key={r} value={r} label={t(`reactions.${r}`)} description={help(r)} />
            ))}
          </Stack>
        </Checkbox.Group>
      )}
      {(value.type === 'ALL' || value.type === 'DIFFERENCE') && (
        <Stack gap={2}>
          {reactions.map((r) => (
            <Text key={r} size="xs">
              <b>{t(`reactions.${r}`)}</b> — {help(r)}
            </Text>
          ))}
        </Stack>
      )}
      <Paper withBorder p="xs" radius="sm">
        <Text size="sm">
          {t('wizard.result')}: <b data-testid="combination-label">{combinationLabel(t, type, value)}</b>
        </Text>
        {problem && <Text size="sm" c="red.8" role="alert">{t(problem)}</Text>}
      </Paper>
    </Stack>
  );
}
