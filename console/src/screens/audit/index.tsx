/**
 * Audit log: GET /v1/audit-log newest first, filtered by resource type, action, actor key, resource
 * id and time range; cursor pages behind "Load more"; each entry opens its before and after.
 */
import { Anchor, Badge, Button, Group, Paper, Select, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { useInfiniteQuery } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate, formatNumber } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { ProblemAlert } from '../../ui/Problem';
import { ChangeDetail } from './ChangeDetail';
import { changes } from './diff';
import { ns } from './i18n';
import { AuditEntry, AuditQuery, RESOURCE_TYPES, resourceLink, ResourceType } from './types';

const ACTIONS = ['create', 'update', 'delete'] as const;
const ACTION_COLOR = { create: 'teal.9', update: 'blue.9', delete: 'red.9' } as const;

/** `datetime-local` text (local time) → ISO instant; undefined when empty, null when unreadable. */
function toInstant(local: string): string | undefined | null {
  if (!local) return undefined;
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export default function AuditScreen() {
  const { t } = useTranslation([ns, 'common']);
  const [resourceType, setResourceType] = useState<ResourceType | null>(null);
  const [action, setAction] = useState<(typeof ACTIONS)[number] | null>(null);
  const [actor, setActor] = useState('');
  const [resourceId, setResourceId] = useState('');
  const [since, setSince] = useState('');
  const [until, setUntil] = useState('');
  const [open, setOpen] = useState<AuditEntry | null>(null);
  const [debounced] = useDebouncedValue({ actor: actor.trim(), resourceId: resourceId.trim() }, 300);

  const sinceAt = toInstant(since);
  const untilAt = toInstant(until);
  const query: AuditQuery = useMemo(
    () => ({
      ...(resourceType ? { resourceType } : {}),
      ...(action ? { action } : {}),
      ...(debounced.actor ? { actorKeyId: debounced.actor } : {}),
      ...(debounced.resourceId ? { resourceId: debounced.resourceId } : {}),
      ...(sinceAt ? { since: sinceAt } : {}),
      ...(untilAt ? { until: untilAt } : {}),
      limit: 50,
    }),
    [resourceType, action, debounced.actor, debounced.resourceId, sinceAt, untilAt],
  );
  const log = useInfiniteQuery({
    queryKey: ['audit-log', query],
    initialPageParam: undefined as string | undefined,
    queryFn: ({ pageParam }) =>
      unwrap<{ items: AuditEntry[]; nextCursor: string | null }>(api.GET('/v1/audit-log', { params: { query: { ...query, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.nextCursor ?? undefined,
  });
  const entries = useMemo(() => log.data?.pages.flatMap((p) => p.items) ?? [], [log.data]);

  const columns: ColumnDef<AuditEntry>[] = [
    { accessorKey: 'at', header: t('at'), cell: (c) => <Text size="sm" style={{ whiteSpace: 'nowrap' }}>{formatDate(c.getValue<string>())}</Text> },
    {
      id: 'who',
      accessorFn: (e) => `${e.actor.role} ${e.actor.keyId}`,
      header: t('who'),
      cell: ({ row }) => (
        <Group gap={4} wrap="nowrap">
          <Badge size="sm" variant="default" tt="none">{t(`common:role.${row.original.actor.role}`, { defaultValue: row.original.actor.role })}</Badge>
          <Anchor component="button" type="button" size="xs" ff="monospace" onClick={() => setActor(row.original.actor.keyId)}>{row.original.actor.keyId}</Anchor>
        </Group>
      ),
    },
    { accessorKey: 'action', header: t('action'), cell: (c) => <Badge color={ACTION_COLOR[c.getValue<AuditEntry['action']>()]} variant="outline">{t(`actions.${c.getValue<string>()}`)}</Badge> },
    { accessorKey: 'resourceType', header: t('resourceType'), cell: (c) => t(`types.${c.getValue<string>()}`, { defaultValue: c.getValue<string>() }) },
    {
      accessorKey: 'resourceId',
      header: t('resourceId'),
      cell: ({ row }) => {
        const to = resourceLink(row.original.resourceType, row.original.resourceId);
        const id = <Text span size="xs" ff="monospace">{row.original.resourceId}</Text>;
        return to ? <Anchor component={Link} to={to}>{id}</Anchor> : id;
      },
    },
    {
      id: 'changes',
      header: t('changes'),
      enableSorting: false,
      cell: ({ row }) => (
        <Button size="xs" variant="light" onClick={() => setOpen(row.original)} aria-label={`${t('view')}: ${row.original.resourceType} ${row.original.resourceId} ${formatDate(row.original.at)}`}>
          {t('view')} ({t('changeCount', { count: changes(row.original.before, row.original.after).length })})
        </Button>
      ),
    },
  ];

  const clear = () => {
    setResourceType(null);
    setAction(null);
    setActor('');
    setResourceId('');
    setSince('');
    setUntil('');
  };

  return (
    <Stack>
      <div>
        <Title order={2}>{t('title')}</Title>
        <Text size="sm" c="dimmed">{t('intro')}</Text>
      </div>
      <Paper withBorder p="sm" component="section" aria-label={t('filters')}>
        <SimpleGrid cols={{ base: 1, sm: 3, lg: 6 }}>
          <Select
            label={t('resourceType')}
            placeholder={t('any')}
            data={RESOURCE_TYPES.map((v) => ({ value: v, label: t(`types.${v}`) }))}
            value={resourceType}
            onChange={(v) => setResourceType(v as ResourceType | null)}
            clearable
            searchable
          />
          <Select label={t('action')} placeholder={t('any')} data={ACTIONS.map((v) => ({ value: v, label: t(`actions.${v}`) }))} value={action} onChange={(v) => setAction(v as typeof action)} clearable />
          <TextInput label={t('actor')} description={t('actorHint')} value={actor} onChange={(e) => setActor(e.currentTarget.value)} />
          <TextInput label={t('resourceId')} value={resourceId} onChange={(e) => setResourceId(e.currentTarget.value)} />
          <TextInput type="datetime-local" label={t('since')} value={since} onChange={(e) => setSince(e.currentTarget.value)} error={sinceAt === null ? t('invalidDate') : undefined} />
          <TextInput type="datetime-local" label={t('until')} value={until} onChange={(e) => setUntil(e.currentTarget.value)} error={untilAt === null ? t('invalidDate') : undefined} />
        </SimpleGrid>
        <Group justify="flex-end" mt="xs">
          <Button size="xs" variant="default" onClick={clear}>{t('clear')}</Button>
        </Group>
      </Paper>
      <ProblemAlert error={log.error} />
      {log.isLoading ? (
        <Text size="sm">{t('common:loading')}</Text>
      ) : (
        <DataTable label={t('title')} data={entries} columns={columns} searchable={false} />
      )}
      <Group justify="space-between">
        <Text size="sm" data-testid="audit-count">{t('shown', { count: entries.length, formatted: formatNumber(entries.length) })}</Text>
        {log.hasNextPage && (
          <Button variant="default" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>{t('more')}</Button>
        )}
      </Group>
      <ChangeDetail entry={open} onClose={() => setOpen(null)} />
    </Stack>
  );
}
