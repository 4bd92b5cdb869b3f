/** Step 3, scheduling: once, or every N minutes (≥ 15), hours, days or weeks; start time; backfill; error threshold. */
import { NumberInput, SegmentedControl, Stack, Switch, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { fieldError } from '../../../ui/Problem';
import { ns } from '../i18n';
import type { Frequency } from '../types';
import type { Draft } from './draft';

const FREQUENCIES: Frequency[] = ['once', 'minute', 'hour', 'day', 'week'];

export function StepSchedule({ draft, set, error }: { draft: Draft; set: (patch: Partial<Draft>) => void; error: unknown }) {
  const { t } = useTranslation([ns, 'common']);
  const tooOften = draft.frequency === 'minute' && draft.interval < 15;
  return (
    <Stack maw={640}>
      <div>
        <Text size="sm" fw={500} id="schedule-frequency">{t('frequencyLabel')}</Text>
        <SegmentedControl
          aria-labelledby="schedule-frequency"
          value={draft.frequency}
          onChange={(v) => set({ frequency: v as Frequency, interval: v === 'minute' ? Math.max(15, draft.interval) : draft.interval })}
          data={FREQUENCIES.map((f) => ({ value: f, label: t(`units.${f}`) }))}
        />
      </div>
      {draft.frequency !== 'once' ? (
        <NumberInput
          label={t('interval')}
          description={draft.frequency === 'minute' ? t('intervalMinuteHint') : undefined}
          value={draft.interval}
          min={draft.frequency === 'minute' ? 15 : 1}
          max={10000}
          onChange={(v) => set({ interval: typeof v === 'number' ? v : 1 })}
          error={tooOften ? t('intervalMinuteHint') : fieldError(error, '/schedule/interval')}
          w={200}
        />
      ) : null}
      <TextInput type="datetime-local" label={t('startAt')} description={t('startAtHint')} value={draft.startAt} onChange={(e) => set({ startAt: e.currentTarget.value })} error={fieldError(error, '/schedule/startAt')} w={280} />
      <Switch label={t('backfill')} description={t('backfillHint')} checked={draft.backfill} onChange={(e) => set({ backfill: e.currentTarget.checked })} />
      <NumberInput label={t('errorThreshold')} description={t('errorThresholdHint')} value={draft.errorThreshold} min={0} max={100} onChange={(v) => set({ errorThreshold: typeof v === 'number' ? v : 5 })} error={fieldError(error, '/errorThreshold')} w={200} />
    </Stack>
  );
}
