/**
 * ② 생성 완료: ① SEED 타겟 이름 ② SEED 모수 ③ 유사타겟 이름 (generated as the API would, editable; it
 * follows the size until edited) plus the API's size option (1–10 % of the universe) with the
 * expected population, 자동 업데이트, and ④ 완료 ⑤ 취소 ⑥ 이전.
 */
import { Button, Group, Slider, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../../api/client';
import { formatNumber } from '../../../../i18n';
import { Facts } from '../../../../ui/Facts';
import { GuardedButton } from '../../../../ui/Guarded';
import { fieldError, ProblemAlert } from '../../../../ui/Problem';
import { ns } from '../i18n';
import { autoName, Lookalike, SeedCandidate } from '../types';

const DEFAULT_SIZE = 5;

export function CompleteStep({ seed, onBack, onCancel, onCreated }: { seed: SeedCandidate; onBack: () => void; onCancel: () => void; onCreated: (id: string) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [size, setSize] = useState(DEFAULT_SIZE);
  const [name, setName] = useState<string | null>(null);
  const [autoUpdate, setAutoUpdate] = useState(true);
  const shownName = name ?? autoName(seed.name, size);
  const universe = useQuery({ queryKey: ['universe'], queryFn: () => unwrap<{ people: number }>(api.GET('/v1/universe')) });
  const create = useMutation({
    mutationFn: () => unwrap<Lookalike>(api.POST('/v1/targets/lookalikes', { body: { seed: { type: seed.type, id: seed.id }, name: shownName.trim(), size, autoUpdate } })),
    onSuccess: async (l) => {
      await qc.invalidateQueries({ queryKey: ['targets'] });
      onCreated(l.id);
    },
  });
  const people = universe.data?.people;
  const nameErr = fieldError(create.error, '/name', { unique: t('nameTaken') });
  return (
    <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
      <Stack gap="md" maw={640}>
        <Facts
          labelWidth={160}
          items={[
            [t('columns.seedType'), t(`seedTypes.${seed.type}`)],
            [t('seedTarget'), <span data-testid="seed-name">{seed.name}</span>],
            [t('seedPopulation'), <span data-testid="seed-population">{t('people', { n: formatNumber(seed.population) })}</span>],
          ]}
        />
        <TextInput label={t('name')} description={t('nameHint')} value={shownName} onChange={(e) => setName(e.currentTarget.value)} error={nameErr} required maxLength={100} />
        <div>
          <Text size="sm" fw={500} id="lookalike-size">{t('size')}</Text>
          <Text size="xs" c="dimmed" mb="xs">{t('sizeHint')}</Text>
          <Slider
            min={1}
            max={10}
            step={1}
            value={size}
            onChange={setSize}
            label={(v) => `${v}%`}
            marks={[1, 5, 10].map((v) => ({ value: v, label: `${v}%` }))}
            thumbProps={{ 'aria-labelledby': 'lookalike-size' }}
            mb="lg"
          />
          <Group justify="space-between" mb="xs">
            <Text size="xs">← {t('sizeMarks.similar')}</Text>
            <Text size="xs">{t('sizeMarks.reach')} →</Text>
          </Group>
          {people !== undefined && (
            <Text size="sm" data-testid="size-estimate">{t('estimate', { n: formatNumber(Math.round((size / 100) * people)), people: formatNumber(people), size })}</Text>
          )}
        </div>
        <Switch label={t('autoUpdate')} description={t('autoUpdateHint')} checked={autoUpdate} onChange={(e) => setAutoUpdate(e.currentTarget.checked)} />
        {create.error && !nameErr ? <ProblemAlert error={create.error} /> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={onBack}>{t('common:back')}</Button>
          <Button variant="default" onClick={onCancel}>{t('common:cancel')}</Button>
          <GuardedButton permission="targets.write" type="submit" loading={create.isPending} disabled={!shownName.trim()}>{t('finish')}</GuardedButton>
        </Group>
      </Stack>
    </form>
  );
}
