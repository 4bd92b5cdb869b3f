/**
 * Wizard step 3: name, frequency (once when saved, daily at a UTC time, after each evaluation of
 * an audience) and the file names: the destination's template as its parts, previewed per audience.
 */
import { Anchor, Paper, Radio, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { FileNamePreview, TemplateParts } from '../../../ui/FileNameTemplate';
import type { Audience } from '../../audiences/types';
import { defaultTemplate } from '../../destinations/DestinationDetail';
import type { Destination } from '../../destinations/types';
import { fieldError } from '../../../ui/Problem';
import { ns } from '../i18n';
import type { Draft } from './draft';

export function ScheduleStep({ draft, set, destination, audiences, error }: { draft: Draft; set: (d: Partial<Draft>) => void; destination?: Destination; audiences: Audience[]; error: unknown }) {
  const { t } = useTranslation([ns, 'common']);
  const chosen = audiences.filter((a) => draft.audienceIds.includes(a.id));
  const now = new Date();
  return (
    <Stack maw={760}>
      <TextInput label={t('wizard.name')} value={draft.name} onChange={(e) => set({ name: e.currentTarget.value })} error={fieldError(error, '/name')} required />
      <Radio.Group label={t('wizard.scheduleType')} value={draft.schedule.type} onChange={(v) => set({ schedule: { ...draft.schedule, type: v as Draft['schedule']['type'] } })}>
        <Stack gap="xs" mt="xs">
          <Radio value="once" label={t('wizard.once')} />
          <Radio value="daily" label={t('wizard.daily')} />
          <Radio value="after_evaluation" label={t('wizard.afterEvaluation')} />
        </Stack>
      </Radio.Group>
      {draft.schedule.type === 'daily' && (
        <TextInput type="time" label={t('wizard.at')} value={draft.schedule.at} onChange={(e) => set({ schedule: { ...draft.schedule, at: e.currentTarget.value } })} w={160} error={fieldError(error, '/schedule/at')} />
      )}
      {destination && (
        <Paper withBorder p="md" radius="md">
          <Text fw={600} mb={4}>{t('wizard.fileName')}</Text>
          {destination.kind === 's3' ? (
            <Stack gap="xs">
              <TemplateParts template={defaultTemplate(destination)} />
              {chosen.map((a) => (
                <FileNamePreview
                  key={a.id}
                  audience={a.name}
                  template={defaultTemplate(destination)}
                  gzip={destination.settings.compression === 'gzip'}
                  tokens={{ destination: destination.name, audienceId: a.id, audienceName: a.name, destinationInstance: destination.id, customText: String(destination.settings.customText ?? ''), at: now }}
                />
              ))}
              <Text size="xs" c="dimmed">
                {t('wizard.fileNameHint')}{' '}
                <Anchor component={Link} to={`/destinations/${destination.id}`} size="xs" underline="always">{destination.name}</Anchor>
              </Text>
            </Stack>
          ) : (
            <Stack gap="xs">
              <Text size="sm">{t('wizard.liveRampName')}</Text>
              <FileNamePreview
                template={`${String(destination.settings.org ?? '')}_${String(destination.settings.destinationName ?? destination.name)}_${String(destination.settings.instanceId ?? destination.id)}_<datetime>.csv`}
                gzip={false}
                tokens={{ destination: destination.name, audienceId: '', at: now }}
              />
            </Stack>
          )}
        </Paper>
      )}
    </Stack>
  );
}
