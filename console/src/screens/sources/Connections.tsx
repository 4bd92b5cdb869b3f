/** Accounts (source connections): where each points, which credentials are set, Test connection, delete. */
import { Badge, Button, Group, Loader, Modal, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { ProblemAlert } from '../../ui/Problem';
import { ConnectionForm } from './ConnectionForm';
import { ns } from './i18n';
import { TestConnectionDialog } from './TestConnection';
import { Connection, ConnectionKind, whereOf } from './types';

export function useConnections() {
  return useQuery({ queryKey: ['connections'], queryFn: () => unwrap<{ items: Connection[] }>(api.GET('/v1/connections')) });
}

export function Connections() {
  const { t } = useTranslation([ns, 'common']);
  const [params, setParams] = useSearchParams();
  const creating = params.get('new') as ConnectionKind | null;
  const [testing, setTesting] = useState<Connection | null>(null);
  const [deleting, setDeleting] = useState<Connection | null>(null);
  const list = useConnections();
  const columns: ColumnDef<Connection>[] = [
    { accessorKey: 'name', header: t('common:name') },
    { accessorKey: 'kind', header: t('kind'), cell: (c) => <Badge variant="default">{t(`kinds.${c.getValue<string>()}`)}</Badge> },
    { id: 'where', accessorFn: whereOf, header: t('where'), cell: (c) => <code>{c.getValue<string>()}</code> },
    { id: 'credentials', accessorFn: (c) => c.credentialsSet.join(', '), header: t('credentialsSet'), cell: (c) => <Group gap={4}>{c.row.original.credentialsSet.map((k) => <Badge key={k} variant="default" tt="none">{k}</Badge>)}</Group> },
    { accessorKey: 'createdAt', header: t('common:created'), cell: (c) => formatDate(c.getValue<string>()) },
    {
      id: 'actions',
      header: t('common:actions'),
      enableSorting: false,
      cell: (c) => (
        <Group gap="xs" wrap="nowrap">
          <GuardedButton permission="connections.write" size="xs" variant="light" onClick={() => setTesting(c.row.original)} aria-label={`${t('test')}: ${c.row.original.name}`}>{t('test')}</GuardedButton>
          <GuardedButton permission="connections.write" size="xs" variant="subtle" color="red" onClick={() => setDeleting(c.row.original)} aria-label={`${t('common:delete')}: ${c.row.original.name}`}>{t('common:delete')}</GuardedButton>
        </Group>
      ),
    },
  ];
  return (
    <Stack>
      <Group justify="flex-end">
        <GuardedButton permission="connections.write" onClick={() => setParams({ new: 'sftp' })}>{t('newAccount')}</GuardedButton>
      </Group>
      <ProblemAlert error={list.error} />
      {list.isPending ? <Loader aria-label={t('common:loading')} /> : <DataTable label={t('tabs.accounts')} data={list.data?.items ?? []} columns={columns} />}
      {creating ? <ConnectionForm initialKind={creating === 's3' ? 's3' : 'sftp'} onClose={() => setParams({})} /> : null}
      {testing ? <TestConnectionDialog connection={testing} onClose={() => setTesting(null)} /> : null}
      {deleting ? <DeleteConnection connection={deleting} onClose={() => setDeleting(null)} /> : null}
    </Stack>
  );
}

function DeleteConnection({ connection, onClose }: { connection: Connection; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const remove = useMutation({
    mutationFn: () => unwrap(api.DELETE('/v1/connections/{id}', { params: { path: { id: connection.id } } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['connections'] });
      onClose();
    },
  });
  return (
    <Modal closeButtonProps={{ 'aria-label': t('common:close') }} opened onClose={onClose} title={t('common:delete')}>
      <Stack>
        <Text size="sm">{t('deleteConfirm', { name: connection.name })}</Text>
        <ProblemAlert error={remove.error} />
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
          <Button color="red" onClick={() => remove.mutate()} loading={remove.isPending}>{t('common:delete')}</Button>
        </Group>
      </Stack>
    </Modal>
  );
}
