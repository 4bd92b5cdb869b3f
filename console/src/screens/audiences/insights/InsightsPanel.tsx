/**
 * Insights of a rule (Segment Builder) or of a saved audience's latest evaluation (detail page):
 * 프로필 보기 with attributes, and breakdowns by namespace and by a chosen attribute. Exact counts.
 */
import { Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ProblemAlert } from '../../../ui/Problem';
import { useProspectAttributes } from '../api';
import { ns } from '../i18n';
import { InsightSource, useBreakdown } from './api';
import { AttributeBreakdown, NamespaceBreakdown } from './BreakdownCharts';
import { MAX_SAMPLE_FIELDS, SampleTable } from './SampleTable';

export function InsightsPanel({ source, ruleFields, unavailable }: { source: InsightSource | null; ruleFields: string[]; unavailable?: string }) {
  const { t } = useTranslation(ns);
  const { attributes } = useProspectAttributes();
  const known = useMemo(() => attributes.filter((a) => !a.primary), [attributes]);
  // Defaults: the rule's own fields first, then the first attributes, until the user picks.
  const defaults = useMemo(() => {
    // Record ids (`_id`) say nothing about a person: left out of the defaults, still pickable.
    const paths = [...ruleFields.filter((f) => known.some((a) => a.path === f)), ...known.filter((a) => !a.path.startsWith('_')).map((a) => a.path)];
    return [...new Set(paths)].slice(0, 5);
  }, [ruleFields, known]);
  const [picked, setPicked] = useState<string[] | null>(null);
  const [field, setField] = useState<string | null>(null);
  useEffect(() => {
    if (field === null) setField(defaults.find((p) => known.find((a) => a.path === p)?.kind !== 'array') ?? null);
  }, [defaults, known, field]);
  const fields = (picked ?? defaults).slice(0, MAX_SAMPLE_FIELDS);
  const breakdown = useBreakdown(unavailable ? null : source, field);
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="insights-title" data-testid="insights">
      <Stack gap="sm">
        <div>
          <Title order={3} size="h4" id="insights-title">{t('insights.title')}</Title>
          <Text size="xs" c="dimmed">{t('insights.hint')}</Text>
        </div>
        {unavailable ? (
          <Text size="sm" c="dimmed" data-testid="insights-unavailable">{unavailable}</Text>
        ) : (
          <>
            <Title order={4} size="h5">{t('insights.sample')}</Title>
            <SampleTable source={source} attributes={known} fields={fields} onFields={setPicked} />
            <ProblemAlert error={breakdown.error} />
            <SimpleGrid cols={{ base: 1, md: 2 }}>
              <Stack gap={4}>
                <Title order={4} size="h5">{t('insights.byNamespace')}</Title>
                <NamespaceBreakdown data={breakdown.data} />
              </Stack>
              <AttributeBreakdown data={breakdown.data} attributes={known} field={field} onField={setField} />
            </SimpleGrid>
          </>
        )}
      </Stack>
    </Paper>
  );
}
