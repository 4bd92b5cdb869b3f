/**
 * Labels tab (Adobe's schema Labels tab): every leaf field with its labels; the checkbox at the top
 * selects all fields, one per row selects that field; Edit labels opens the picker for the selection.
 */
import { Button, Checkbox, Group, Stack, Table, Text, TextInput, Tooltip } from '@mantine/core';
import { ColumnDef, flexRender, getCoreRowModel, getFilteredRowModel, RowSelectionState, useReactTable } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useCan } from '../../shell/auth';
import { LabelBadge, useLabels } from '../../ui/labels';
import { ProblemAlert } from '../../ui/Problem';
import { useFieldLabels, useSchemaFields } from './api';
import { ns } from './i18n';
import { LabelPicker } from './LabelPicker';

interface Row {
  path: string;
  title?: string;
  type: string;
  source: string;
  labels: string[];
}

export function LabelsTab({ schemaId }: { schemaId: string }) {
  const { t } = useTranslation([ns, 'common']);
  const fields = useSchemaFields(schemaId);
  const labels = useFieldLabels(schemaId);
  const catalog = useLabels();
  const can = useCan('labels.write');
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [filter, setFilter] = useState('');
  const [picking, setPicking] = useState(false);

  const rows = useMemo<Row[]>(() => {
    const byPath = new Map((labels.data?.fields ?? []).map((f) => [f.path, f.labels]));
    return (fields.data ?? []).map((f) => ({ path: f.path, title: f.title, type: f.itemType ? `${f.xdmType}<${f.itemType}>` : f.xdmType, source: f.source, labels: byPath.get(f.path) ?? [] }));
  }, [fields.data, labels.data]);

  const columns = useMemo<ColumnDef<Row>[]>(
    () => [
      {
        id: 'select',
        header: ({ table }) => (
          <Checkbox
            aria-label={t('labels.selectAll')}
            data-testid="select-all-fields"
            checked={table.getIsAllRowsSelected()}
            indeterminate={table.getIsSomeRowsSelected()}
            onChange={table.getToggleAllRowsSelectedHandler()}
          />
        ),
        cell: ({ row }) => <Checkbox aria-label={t('labels.selectRow', { path: row.original.path })} checked={row.getIsSelected()} onChange={row.getToggleSelectedHandler()} />,
      },
      { accessorKey: 'path', header: t('labels.field'), cell: (c) => <Text span size="sm" ff="monospace">{c.getValue<string>()}</Text> },
      { accessorKey: 'title', header: t('labels.fieldTitle'), cell: (c) => c.getValue<string>() ?? '' },
      { accessorKey: 'type', header: t('labels.type') },
      { accessorKey: 'source', header: t('labels.source'), cell: (c) => <Text span size="xs">{c.getValue<string>()}</Text> },
      {
        id: 'labels',
        accessorFn: (r) => r.labels.join(' '),
        header: t('labels.applied'),
        cell: ({ row }) =>
          row.original.labels.length === 0 ? (
            <Text span size="sm">—</Text>
          ) : (
            <Group gap={4} data-testid={`labels-of-${row.original.path}`}>
              {row.original.labels.map((code) => <LabelBadge key={code} code={code} catalog={catalog.data} />)}
            </Group>
          ),
      },
    ],
    [t, catalog.data],
  );

  const table = useReactTable({
    data: rows,
    columns,
    state: { rowSelection: selection, globalFilter: filter },
    getRowId: (r) => r.path,
    enableRowSelection: true,
    onRowSelectionChange: setSelection,
    onGlobalFilterChange: setFilter,
    getCoreRowModel: getCoreRowModel(),
    getFilteredRowModel: getFilteredRowModel(),
  });

  const error = fields.error ?? labels.error ?? catalog.error;
  if (error) return <ProblemAlert error={error} />;
  if (!fields.data || !labels.data) return <Text size="sm">{t('common:loading')}</Text>;
  const selected = rows.filter((r) => selection[r.path]);
  const allSelected = selected.length === rows.length && rows.length > 0;
  const editReason = !can.allowed ? can.reason : undefined;

  return (
    <Stack>
      <Text size="sm">{t('labels.intro')}</Text>
      <Group justify="space-between">
        <TextInput aria-label={t('labels.filter')} placeholder={t('labels.filter')} value={filter} onChange={(e) => setFilter(e.currentTarget.value)} w={280} />
        <Group gap="sm">
          <Text size="sm" data-testid="selected-count">{t('labels.selected', { count: selected.length })}</Text>
          <Tooltip label={editReason} disabled={!editReason} multiline w={280}>
            <Button
              leftSection={<span aria-hidden>✎</span>}
              disabled={selected.length === 0 || editReason !== undefined}
              data-disabled-reason={editReason}
              onClick={() => setPicking(true)}
            >
              {t('labels.edit')}
            </Button>
          </Tooltip>
        </Group>
      </Group>
      <Table striped highlightOnHover withTableBorder aria-label={t('detail.labels')}>
        <Table.Thead>
          {table.getHeaderGroups().map((hg) => (
            <Table.Tr key={hg.id}>
              {hg.headers.map((h) => (
                <Table.Th key={h.id} w={h.id === 'select' ? 40 : undefined}>{flexRender(h.column.columnDef.header, h.getContext())}</Table.Th>
              ))}
            </Table.Tr>
          ))}
        </Table.Thead>
        <Table.Tbody>
          {table.getRowModel().rows.map((r) => (
            <Table.Tr key={r.id} bg={r.getIsSelected() ? 'var(--mantine-primary-color-light)' : undefined}>
              {r.getVisibleCells().map((c) => (
                <Table.Td key={c.id}>{flexRender(c.column.columnDef.cell, c.getContext())}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <LabelPicker
        opened={picking}
        onClose={() => setPicking(false)}
        onSaved={() => {
          setPicking(false);
          setSelection({});
        }}
        schemaId={schemaId}
        fields={selected}
        allFields={allSelected}
        catalog={catalog.data ?? []}
      />
    </Stack>
  );
}
