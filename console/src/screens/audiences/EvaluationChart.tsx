/** Members, entered and exited per successful evaluation, oldest first: grouped bars (@mantine/charts over recharts). */
import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../i18n';
import { ns } from './i18n';
import type { Evaluation } from './types';

export function EvaluationChart({ evaluations }: { evaluations: Evaluation[] }) {
  const { t } = useTranslation(ns);
  const data = evaluations
    .filter((e) => e.status === 'success' && e.finishedAt)
    .sort((a, b) => a.finishedAt!.localeCompare(b.finishedAt!))
    .map((e) => ({ when: formatDate(e.finishedAt), members: e.counts.members ?? 0, entered: e.counts.entered ?? 0, exited: e.counts.exited ?? 0 }));
  if (data.length === 0) return <Text size="sm">{t('detail.noEvaluations')}</Text>;
  return (
    <figure style={{ margin: 0 }} aria-label={t('detail.chartLabel')} data-testid="evaluation-chart">
      <BarChart
        h={260}
        data={data}
        dataKey="when"
        withLegend
        legendProps={{ verticalAlign: 'top' }}
        withBarValueLabel
        maxBarWidth={40}
        valueFormatter={(v) => formatNumber(v)}
        series={[
          { name: 'members', label: t('detail.members'), color: 'blue.8' },
          { name: 'entered', label: t('detail.entered'), color: 'teal.8' },
          { name: 'exited', label: t('detail.exited'), color: 'red.8' },
        ]}
      />
      <figcaption>
        <Text size="xs" c="dimmed">{t('detail.chartLabel')}</Text>
      </figcaption>
    </figure>
  );
}
