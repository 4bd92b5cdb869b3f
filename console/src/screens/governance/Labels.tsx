/** Labels: the core catalog (read-only) and the account's custom labels (create, delete when unused). */
import { Badge, Button, Group, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { categoryOf, Label, LabelBadge, useLabels, useLabelText } from '../../ui/labels';
import { Dialog } from '../../ui/Dialog';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';

type Create = components['schemas']['governance-label-create'];

export function Labels() {
  const { t } = useTranslation([ns, 'common']);
  const list = useLabels();
  const text = useLabelText();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<Label | null>(null);
  const columns: ColumnDef<Label>[] = [
    { accessorKey: 'code', header: t('labels.code'), cell: (c) => <LabelBadge code={c.getValue<string>()} catalog={list.data} /> },
    { id: 'name', accessorFn: (l) => text.name(l), header: t('labels.name'), cell: (c) => <Text size="sm" fw={600}>{c.getValue<string>()}</Text> },
    {
      id: 'category',
      accessorFn: (l) => (l.core || l.category === 'Custom' ? text.category(categoryOf(l)) : `${text.category('custom')} · ${l.category}`),
      header: t('labels.category'),
    },
    {
      id: 'description',
      accessorFn: (l) => text.description(l),
      header: t('labels.description'),
      cell: (c) => <Text size="sm">{c.getValue<string>()}</Text>,
    },
    { accessorKey: 'core', header: t('labels.kind'), cell: (c) => <Badge variant="default" style={{ minWidth: 'max-content' }}>{c.getValue() ? t('coreItem') : t('custom')}</Badge> },
    {
      id: 'delete',
      header: '',
      enableSorting: false,
      cell: ({ row }) =>
        row.original.core ? null : (
          <GuardedButton permission="labels.write" size="xs" variant="default" onClick={() => setDeleting(row.original)} aria-label={`${t('common:delete')}: ${row.original.code}`}>
            {t('common:delete')}
          </GuardedButton>
        ),
    },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Text size="sm" maw={720}>{t('labels.intro')}</Text>
        <GuardedButton permission="labels.write" onClick={() => setCreating(true)}>{t('labels.create')}</GuardedButton>
      </Group>
      <ProblemAlert error={list.error} />
      <DataTable label={t('tabs.labels')} data={list.data ?? []} columns={columns} />
      <CreateLabel opened={creating} onClose={() => setCreating(false)} />
      <DeleteLabel label={deleting} onClose={() => setDeleting(null)} />
    </Stack>
  );
}

const EMPTY: Create = { code: '', friendlyName: '', category: 'Custom', description: '' };

function CreateLabel({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [form, setForm] = useState<Create>(EMPTY);
  const create = useMutation({
    mutationFn: (body: Create) => unwrap(api.POST('/v1/labels', { body })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['labels'] });
      setForm(EMPTY);
      create.reset();
      onClose();
    },
  });
  const err = create.error;
  const onField = ['/code', '/friendlyName', '/category', '/description'].some((p) => fieldError(err, p));
  return (
    <Dialog opened={opened} onClose={onClose} title={t('labels.create')}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ code: form.code, friendlyName: form.friendlyName, ...(form.category ? { category: form.category } : {}), ...(form.description ? { description: form.description } : {}) } as Create);
        }}
      >
        <Stack>
          <TextInput label={t('labels.code')} description={t('labels.codeHint')} value={form.code} onChange={(e) => setForm({ ...form, code: e.currentTarget.value })} error={fieldError(err, '/code', { pattern: t('labels.codePattern') })} required data-autofocus />
          <TextInput label={t('labels.friendlyName')} value={form.friendlyName} onChange={(e) => setForm({ ...form, friendlyName: e.currentTarget.value })} error={fieldError(err, '/friendlyName')} required />
          <TextInput label={t('labels.category')} description={t('labels.categoryHint')} value={form.category ?? ''} onChange={(e) => setForm({ ...form, category: e.currentTarget.value })} error={fieldError(err, '/category')} />
          <Textarea label={t('labels.description')} value={form.description ?? ''} onChange={(e) => setForm({ ...form, description: e.currentTarget.value })} error={fieldError(err, '/description')} />
          {err && !onField ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={create.isPending}>{t('common:create')}</Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}

function DeleteLabel({ label, onClose }: { label: Label | null; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const remove = useMutation({
    mutationFn: (code: string) => unwrap(api.DELETE('/v1/labels/{code}', { params: { path: { code } } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['labels'] });
      remove.reset();
      onClose();
    },
  });
  return (
    <Dialog opened={label !== null} onClose={() => { remove.reset(); onClose(); }} title={t('common:delete')}>
      <Stack>
        <Text size="sm">{t('labels.deleteConfirm', { code: label?.code })}</Text>
        <ProblemAlert error={remove.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
          <Button color="red.9" onClick={() => label && remove.mutate(label.code)} loading={remove.isPending}>{t('common:delete')}</Button>
        </Group>
      </Stack>
    </Dialog>
  );
}
