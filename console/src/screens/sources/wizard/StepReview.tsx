/** Step 4, review: the dataflow's name and a summary of every choice before it is created. */
import { Card, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { fieldError } from '../../../ui/Problem';
import { useConnections } from '../Connections';
import { scheduleText, useDatasets } from '../Dataflows';
import { ns } from '../i18n';
import { columnsOf, Draft, toBody } from './draft';

export function StepReview({ draft, set, error }: { draft: Draft; set: (patch: Partial<Draft>) => void; error: unknown }) {
  const { t } = useTranslation([ns, 'common']);
  const connection = useConnections().data?.items.find((c) => c.id === draft.connectionId);
  const dataset = useDatasets().data?.items.find((d) => d.id === draft.datasetId);
  const body = toBody(draft);
  const columns = columnsOf(draft);
  const rows: [string, string][] = [
    [t('account'), connection ? `${connection.name} (${t(`kinds.${connection.kind}`)})` : '—'],
    [t('folder'), draft.folder],
    [t('pattern'), body.pattern],
    [t('format'), draft.format.toUpperCase()],
    [t('dataset'), dataset?.name ?? '—'],
    [t('mapping'), columns.length ? columns.map((c) => `${c} → ${draft.mapping[c] || t('ignore')}`).join(', ') : t('noMapping')],
    [t('schedule'), scheduleText(t, body.schedule)],
    [t('backfill'), draft.backfill ? t('enabled') : t('disabled')],
    [t('errorThreshold'), `${draft.errorThreshold}%`],
  ];
  return (
    <Stack maw={900}>
      <TextInput label={t('flowName')} value={draft.name} onChange={(e) => set({ name: e.currentTarget.value })} error={fieldError(error, '/name')} required w={420} data-autofocus />
      <Card withBorder>
        <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="sm">
          {rows.map(([label, value]) => (
            <div key={label}>
              <Text size="xs" c="dimmed">{label}</Text>
              <Text size="sm" fw={500} style={{ wordBreak: 'break-word' }} data-testid={`review-${label}`}>{value}</Text>
            </div>
          ))}
        </SimpleGrid>
      </Card>
    </Stack>
  );
}
