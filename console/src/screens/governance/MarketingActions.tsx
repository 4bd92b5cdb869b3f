/** Marketing actions: the ten core ones (read-only) and custom ones (create, delete when unused). */
import { Badge, Button, Group, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { MarketingAction, useMarketingActions, useMarketingActionText } from '../../ui/marketing-actions';
import { Dialog } from '../../ui/Dialog';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { usePolicies } from './api';
import { ns } from './i18n';

type Create = components['schemas']['governance-marketing-action-create'];

export function MarketingActions() {
  const { t } = useTranslation([ns, 'common']);
  const list = useMarketingActions();
  const policies = usePolicies();
  const text = useMarketingActionText();
  const [creating, setCreating] = useState(false);
  const [deleting, setDeleting] = useState<MarketingAction | null>(null);
  const usedBy = (name: string) => (policies.data ?? []).filter((p) => p.marketingActions.includes(name)).length;
  const columns: ColumnDef<MarketingAction>[] = [
    { id: 'display', accessorFn: (a) => text.name(a), header: t('actions.name'), cell: (c) => <Text size="sm" fw={600}>{c.getValue<string>()}</Text> },
    { accessorKey: 'name', header: t('actions.apiName'), cell: (c) => <code>{c.getValue<string>()}</code> },
    { id: 'description', accessorFn: (a) => text.description(a), header: t('actions.description'), cell: (c) => <Text size="sm">{c.getValue<string>()}</Text> },
    { accessorKey: 'core', header: t('actions.kind'), cell: (c) => <Badge variant="default" style={{ minWidth: 'max-content' }}>{c.getValue() ? t('coreItem') : t('custom')}</Badge> },
    { id: 'used', accessorFn: (a) => usedBy(a.name), header: t('actions.usedBy') },
    {
      id: 'delete',
      header: '',
      enableSorting: false,
      cell: ({ row }) =>
        row.original.core ? null : (
          <GuardedButton permission="marketing-actions.write" size="xs" variant="default" onClick={() => setDeleting(row.original)} aria-label={`${t('common:delete')}: ${row.original.name}`}>
            {t('common:delete')}
          </GuardedButton>
        ),
    },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <Text size="sm" maw={720}>{t('actions.intro')}</Text>
        <GuardedButton permission="marketing-actions.write" onClick={() => setCreating(true)}>{t('actions.create')}</GuardedButton>
      </Group>
      <ProblemAlert error={list.error} />
      <DataTable label={t('tabs.actions')} data={list.data ?? []} columns={columns} />
      <CreateAction opened={creating} onClose={() => setCreating(false)} />
      <DeleteAction action={deleting} onClose={() => setDeleting(null)} />
    </Stack>
  );
}

function CreateAction({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [form, setForm] = useState<Create>({ name: '', description: '' });
  const create = useMutation({
    mutationFn: (body: Create) => unwrap(api.POST('/v1/marketing-actions', { body })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['marketing-actions'] });
      setForm({ name: '', description: '' });
      create.reset();
      onClose();
    },
  });
  const err = create.error;
  return (
    <Dialog opened={opened} onClose={onClose} title={t('actions.create')}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ name: form.name, ...(form.description ? { description: form.description } : {}) });
        }}
      >
        <Stack>
          <TextInput label={t('actions.apiName')} description={t('actions.nameHint')} value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} error={fieldError(err, '/name', { pattern: t('actions.namePattern') })} required data-autofocus />
          <Textarea label={t('actions.description')} value={form.description ?? ''} onChange={(e) => setForm({ ...form, description: e.currentTarget.value })} error={fieldError(err, '/description')} />
          {err && !fieldError(err, '/name') ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={create.isPending}>{t('common:create')}</Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}

function DeleteAction({ action, onClose }: { action: MarketingAction | null; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const remove = useMutation({
    mutationFn: (name: string) => unwrap(api.DELETE('/v1/marketing-actions/{name}', { params: { path: { name } } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['marketing-actions'] });
      remove.reset();
      onClose();
    },
  });
  return (
    <Dialog opened={action !== null} onClose={() => { remove.reset(); onClose(); }} title={t('common:delete')}>
      <Stack>
        <Text size="sm">{t('actions.deleteConfirm', { name: action?.name })}</Text>
        <ProblemAlert error={remove.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
          <Button color="red.9" onClick={() => action && remove.mutate(action.name)} loading={remove.isPending}>{t('common:delete')}</Button>
        </Group>
      </Stack>
    </Dialog>
  );
}
