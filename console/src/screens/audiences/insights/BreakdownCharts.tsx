/**
 * Breakdowns (exact counts): members by identity namespace, and by one attribute — top values with
 * "other" and "no value", or an equal-width histogram with its min and max. A bar chart and, under
 * it, the same numbers as a table (screen readers, and the numbers to the unit).
 */
import '@mantine/charts/styles.css';
import { BarChart } from '@mantine/charts';
import { Group, Select, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatNumber } from '../../../i18n';
import type { Attribute } from '../builder/model';
import { ns } from '../i18n';
import type { BreakdownResult } from './api';
import { formatEdge, formatValue } from './format';

interface Bar {
  label: string;
  count: number;
}

function Bars({ bars, label, testId }: { bars: Bar[]; label: string; testId: string }) {
  const { t } = useTranslation(ns);
  return (
    <figure style={{ margin: 0 }} aria-label={label}>
      <BarChart h={220} data={bars} dataKey="label" withBarValueLabel maxBarWidth={48} valueFormatter={(v) => formatNumber(v)} series={[{ name: 'count', label: t('insights.profiles'), color: 'blue.8' }]} />
      <Table withTableBorder mt="xs" aria-label={label} data-testid={testId}>
        <Table.Tbody>
          {bars.map((b) => (
            <Table.Tr key={b.label}>
              <Table.Td>{b.label}</Table.Td>
              <Table.Td ta="right" data-count={b.count}>{formatNumber(b.count)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </figure>
  );
}

export function NamespaceBreakdown({ data }: { data?: BreakdownResult }) {
  const { t } = useTranslation(ns);
  if (!data) return <Text size="sm">{t('estimate.calculating')}</Text>;
  return (
    <Stack gap={4}>
      <Text size="sm" data-testid="breakdown-total">{t('insights.total', { total: formatNumber(data.total) })}</Text>
      <Bars bars={data.byNamespace.map((n) => ({ label: n.namespace.code, count: n.count }))} label={t('insights.byNamespace')} testId="breakdown-namespaces" />
    </Stack>
  );
}

export function AttributeBreakdown({ data, attributes, field, onField }: { data?: BreakdownResult; attributes: Attribute[]; field: string | null; onField: (f: string | null) => void }) {
  const { t } = useTranslation(ns);
  const a = data?.attribute;
  let bars: Bar[] = [];
  let summary = '';
  if (a?.type === 'values') {
    bars = a.values.map((v) => ({ label: formatValue(v.value, t), count: v.count }));
    if (a.other > 0) bars.push({ label: t('insights.other'), count: a.other });
    summary = t('insights.distinct', { count: a.distinct });
  } else if (a?.type === 'histogram') {
    bars = a.bins.map((b) => ({ label: `${formatEdge(b.from, a.kind)}–${formatEdge(b.to, a.kind)}`, count: b.count }));
    summary = a.min === null ? '' : t('insights.range', { min: formatEdge(a.min, a.kind), max: formatEdge(a.max!, a.kind) });
  }
  if (a && a.nulls > 0) bars.push({ label: t('insights.noValue'), count: a.nulls });
  return (
    <Stack gap={4}>
      <Select
        label={t('insights.byAttribute')}
        data={attributes.filter((x) => x.kind !== 'array').map((x) => ({ value: x.path, label: `${x.title} (${x.path})` }))}
        value={field}
        onChange={onField}
        searchable
        data-testid="breakdown-field"
      />
      {a && (
        <>
          <Group gap="xs">
            <Text size="xs" c="dimmed" data-testid="breakdown-summary">{summary}</Text>
          </Group>
          <Bars bars={bars} label={t('insights.byAttribute')} testId="breakdown-attribute" />
        </>
      )}
    </Stack>
  );
}
