/**
 * Step 2, mapping: the target dataset, then each source column → a field of its schema, suggested
 * by name ("ignore" drops a column). Without columns (no preview), headers must be field paths.
 */
import { Badge, Group, Select, Stack, Table, TagsInput, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client';
import { Notice } from '../../../ui/Notice';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { useDatasets } from '../Dataflows';
import { ns } from '../i18n';
import { columnsOf, Draft } from './draft';
import { suggestField } from './preview';

interface Field {
  path: string;
  xdmType: string;
  system: boolean;
  identity?: { namespace: string; primary: boolean };
}

export function useFields(schemaId: string | undefined) {
  return useQuery({
    queryKey: ['schemas', schemaId, 'fields'],
    enabled: !!schemaId,
    queryFn: () => unwrap<{ items: Field[] }>(api.GET('/v1/schemas/{id}/fields', { params: { path: { id: schemaId ?? '' } } })),
  });
}

export function StepMapping({ draft, set, error }: { draft: Draft; set: (patch: Partial<Draft>) => void; error: unknown }) {
  const { t } = useTranslation([ns, 'common']);
  const datasets = useDatasets();
  const dataset = datasets.data?.items.find((d) => d.id === draft.datasetId);
  const fields = useFields(dataset?.schemaId);
  const paths = (fields.data?.items ?? []).filter((f) => !f.system).map((f) => f.path);
  const columns = columnsOf(draft);
  // Suggest a field for every column that has none yet, once the dataset's fields are known (keyed by
  // content: the arrays are new on every render).
  useEffect(() => {
    if (paths.length === 0) return;
    const missing = columns.filter((c) => draft.mapping[c] === undefined);
    if (missing.length === 0) return;
    set({ mapping: { ...draft.mapping, ...Object.fromEntries(missing.map((c) => [c, suggestField(c, paths)])) } });
  }, [paths.join('|'), columns.join('|')]);
  const primary = dataset?.primaryIdentity.fieldPath;
  const primaryMapped = columns.length === 0 || columns.some((c) => draft.mapping[c] === primary);
  const options = [{ value: '', label: t('ignore') }, ...paths.map((p) => ({ value: p, label: p === primary ? `${p} (${t('primary')})` : p }))];
  return (
    <Stack>
      <Select
        label={t('dataset')}
        data={(datasets.data?.items ?? []).map((d) => ({ value: d.id, label: d.name }))}
        value={draft.datasetId}
        onChange={(v) => set({ datasetId: v, mapping: {} })}
        error={fieldError(error, '/datasetId')}
        w={420}
        searchable
        required
      />
      <ProblemAlert error={fields.error} />
      <TagsInput label={t('columns')} description={t('columnsHint')} value={draft.extraColumns} onChange={(v) => set({ extraColumns: v })} w={640} />
      {columns.length === 0 ? (
        <Notice tone="info" title={t('noMapping')}>{t('noMappingHint')}</Notice>
      ) : (
        <Table withTableBorder aria-label={t('mapping')} maw={900}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('sourceColumn')}</Table.Th>
              <Table.Th>{t('sample')}</Table.Th>
              <Table.Th>{t('targetField')}</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {columns.map((c) => {
              const i = draft.preview?.columns.indexOf(c) ?? -1;
              const suggested = paths.length > 0 && suggestField(c, paths) === draft.mapping[c] && draft.mapping[c] !== '';
              return (
                <Table.Tr key={c}>
                  <Table.Td><code>{c}</code></Table.Td>
                  <Table.Td><Text size="sm">{i >= 0 ? draft.preview?.rows[0]?.[i] ?? '' : '—'}</Text></Table.Td>
                  <Table.Td>
                    <Group gap="xs" wrap="nowrap">
                      <Select
                        aria-label={`${t('targetField')}: ${c}`}
                        data={options}
                        value={draft.mapping[c] ?? ''}
                        onChange={(v) => set({ mapping: { ...draft.mapping, [c]: v ?? '' } })}
                        error={fieldError(error, `/mapping/${c.replace(/~/g, '~0').replace(/\//g, '~1')}`)}
                        searchable
                        allowDeselect={false}
                        w={320}
                        disabled={!dataset}
                      />
                      {suggested ? <Badge variant="default" tt="none">{t('suggested')}</Badge> : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              );
            })}
          </Table.Tbody>
        </Table>
      )}
      {!primaryMapped && dataset ? <Notice tone="warning" title={t('primaryMissing', { field: primary })}>{t('primaryMissingHint')}</Notice> : null}
      {fieldError(error, '/mapping') ? <Text size="sm" c="red.8">{fieldError(error, '/mapping')}</Text> : null}
    </Stack>
  );
}
