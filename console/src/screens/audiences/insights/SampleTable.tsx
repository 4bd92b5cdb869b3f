/** "프로필 보기": up to 10 qualifying profiles, their namespace and the merged values of the chosen attributes. */
import { Anchor, MultiSelect, ScrollArea, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { ProblemAlert } from '../../../ui/Problem';
import type { Attribute } from '../builder/model';
import { ns } from '../i18n';
import { InsightSource, useSample } from './api';
import { formatValue } from './format';

export const MAX_SAMPLE_FIELDS = 8;

export function SampleTable({ source, attributes, fields, onFields }: { source: InsightSource | null; attributes: Attribute[]; fields: string[]; onFields: (f: string[]) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const sample = useSample(source, fields);
  const title = (path: string) => attributes.find((a) => a.path === path)?.title ?? path;
  return (
    <Stack gap="xs">
      <MultiSelect
        label={t('insights.sampleFields')}
        description={t('insights.sampleFieldsHint', { max: MAX_SAMPLE_FIELDS })}
        data={attributes.map((a) => ({ value: a.path, label: `${a.title} (${a.path})` }))}
        value={fields}
        onChange={onFields}
        maxValues={MAX_SAMPLE_FIELDS}
        searchable
        data-testid="sample-fields"
      />
      <ProblemAlert error={sample.error} />
      {sample.data && sample.data.items.length === 0 && <Text size="sm">{t('estimate.noSample')}</Text>}
      {sample.data && sample.data.items.length > 0 && (
        <ScrollArea type="auto">
          <Table striped withTableBorder aria-label={t('insights.sample')} data-testid="insights-sample">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('insights.namespace')}</Table.Th>
                <Table.Th>{t('insights.identity')}</Table.Th>
                {sample.data.fields.map((f) => (
                  <Table.Th key={f} title={f}>{title(f)}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sample.data.items.map((p) => (
                <Table.Tr key={`${p.namespace.id}:${p.identity}`} data-identity={`${p.namespace.code}:${p.identity}`}>
                  <Table.Td>{p.namespace.code}</Table.Td>
                  <Table.Td>
                    <Anchor component={Link} to={`/profiles/${encodeURIComponent(p.namespace.code)}/${encodeURIComponent(p.identity)}`} size="sm">{p.identity}</Anchor>
                  </Table.Td>
                  {sample.data.fields.map((f) => (
                    <Table.Td key={f} c={p.attributes[f] === null ? 'dimmed' : undefined}>{formatValue(p.attributes[f], t)}</Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      )}
    </Stack>
  );
}
