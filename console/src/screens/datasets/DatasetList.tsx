/** Every dataset of the account: name, schema, profile, records, last batch, created; Create dataset from a schema. */
import { Anchor, Button, Group, Loader, Modal, Select, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { formatDate, formatNumber } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import { StatusBadge } from '../../ui/StatusBadge';
import { BATCH_TONES, Batch, Dataset, Page, SchemaSummary } from './types';

export function useSchemas() {
  return useQuery({ queryKey: ['schemas'], queryFn: () => unwrap<{ items: SchemaSummary[] }>(api.GET('/v1/schemas')) });
}

export function DatasetList() {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState(false);
  // Dataflow runs and expirations change datasets behind the console's back: always ask again on arrival.
  const list = useQuery({ queryKey: ['datasets'], refetchOnMount: 'always', queryFn: () => unwrap<Page<Dataset>>(api.GET('/v1/datasets', { params: { query: { limit: 500 } } })) });
  const schemas = useSchemas();
  const schemaTitle = (id: string) => schemas.data?.items.find((s) => s.id === id)?.title ?? id;
  const columns: ColumnDef<Dataset>[] = [
    { accessorKey: 'name', header: t('common:name'), cell: (c) => <Anchor component={Link} to={`/datasets/${c.row.original.id}`}>{c.row.original.name}</Anchor> },
    { id: 'schema', accessorFn: (d) => schemaTitle(d.schemaId), header: t('schema') },
    { accessorKey: 'profileEnabled', header: t('profile'), cell: (c) => <StatusBadge tone={c.getValue() ? 'active' : 'neutral'}>{c.getValue() ? t('profileOn') : t('profileOff')}</StatusBadge> },
    { id: 'records', accessorFn: (d) => d.counts.records, header: t('records'), cell: (c) => formatNumber(c.getValue<number>()) },
    { id: 'lastBatch', header: t('lastBatch'), enableSorting: false, cell: (c) => <LastBatch datasetId={c.row.original.id} count={c.row.original.counts.batches} /> },
    { accessorKey: 'createdAt', header: t('common:created'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>{t('title')}</Title>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        <GuardedButton permission="datasets.write" onClick={() => setOpen(true)}>{t('create')}</GuardedButton>
      </Group>
      <ProblemAlert error={list.error} />
      {list.isPending ? <Loader aria-label={t('common:loading')} /> : <DataTable label={t('title')} data={list.data?.items ?? []} columns={columns} />}
      <CreateDataset opened={open} onClose={() => setOpen(false)} />
    </Stack>
  );
}

/** The newest batch's status and time (one small request per dataset row; lists are short). */
function LastBatch({ datasetId, count }: { datasetId: string; count: number }) {
  const { t } = useTranslation([ns, 'common']);
  const last = useQuery({
    queryKey: ['batches', datasetId, 'last'],
    enabled: count > 0,
    refetchOnMount: 'always',
    queryFn: () => unwrap<Page<Batch>>(api.GET('/v1/datasets/{id}/batches', { params: { path: { id: datasetId }, query: { limit: 1 } } })),
  });
  const b = last.data?.items[0];
  if (count === 0 || !b) return <Text size="sm">{t('noBatch')}</Text>;
  return (
    <Group gap={6} wrap="nowrap">
      <StatusBadge tone={BATCH_TONES[b.status]}>{t(`statuses.${b.status}`)}</StatusBadge>
      <Text size="sm">{formatDate(b.completedAt ?? b.createdAt)}</Text>
    </Group>
  );
}

type Create = components['schemas']['dataset-create'];

function CreateDataset({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const schemas = useSchemas();
  const [form, setForm] = useState<Create>({ name: '', schemaId: '', description: '' });
  const create = useMutation({
    mutationFn: (body: Create) => unwrap<Dataset>(api.POST('/v1/datasets', { body })),
    onSuccess: async (d) => {
      await qc.invalidateQueries({ queryKey: ['datasets'] });
      setForm({ name: '', schemaId: '', description: '' });
      create.reset();
      onClose();
      void navigate(`/datasets/${d.id}`);
    },
  });
  const err = create.error;
  const shown = ['/name', '/schemaId', '/description'].some((p) => fieldError(err, p));
  return (
    <Modal closeButtonProps={{ 'aria-label': t('common:close') }} opened={opened} onClose={onClose} title={t('createFromSchema')}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ ...form, description: form.description || undefined });
        }}
      >
        <Stack>
          <Select
            label={t('schema')}
            description={t('schemaHint')}
            searchable
            data={(schemas.data?.items ?? []).map((s) => ({ value: s.id, label: `${s.title} (${t(`kinds.${s.kind}`)})` }))}
            value={form.schemaId || null}
            onChange={(v) => setForm({ ...form, schemaId: v ?? '' })}
            error={fieldError(err, '/schemaId')}
            required
            data-autofocus
          />
          <TextInput label={t('common:name')} value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} error={fieldError(err, '/name')} required />
          <Textarea label={t('description')} value={form.description ?? ''} onChange={(e) => setForm({ ...form, description: e.currentTarget.value })} error={fieldError(err, '/description')} />
          {err && !shown ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={create.isPending}>{t('finish')}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
