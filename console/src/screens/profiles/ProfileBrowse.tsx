/**
 * Browse prospect profiles: identity, Identity namespace (which vendor), datasets, last loaded;
 * filtered by namespace, dataset and attribute = value (kept in the URL), cursor pages; and
 * Find a profile by namespace + identity value.
 */
import { Anchor, Autocomplete, Badge, Button, Card, Group, Loader, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { keepPreviousData, useQueries, useQuery } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import { DatasetSummary, Namespace, profilePath, ProfileRow } from './types';

const PAGE = 50;

export function ProfileBrowse() {
  const { t } = useTranslation([ns, 'common']);
  const [params, setParams] = useSearchParams();
  const filters = { namespace: params.get('namespace') ?? '', datasetId: params.get('datasetId') ?? '', attribute: params.get('attribute') ?? '', value: params.get('value') ?? '' };
  const [draft, setDraft] = useState(filters);
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const namespaces = useQuery({ queryKey: ['namespaces'], queryFn: () => unwrap<{ items: Namespace[] }>(api.GET('/v1/namespaces')) });
  const datasets = useQuery({ queryKey: ['datasets'], queryFn: () => unwrap<{ items: DatasetSummary[] }>(api.GET('/v1/datasets', { params: { query: { limit: 500 } } })) });
  const profileDatasets = (datasets.data?.items ?? []).filter((d) => d.classKind === 'prospect' && d.profileEnabled);
  // Attribute suggestions: the fields of the chosen dataset's schema, or of every prospect dataset's.
  const schemaIds = [...new Set((draft.datasetId ? profileDatasets.filter((d) => d.id === draft.datasetId) : profileDatasets).map((d) => d.schemaId))];
  const fieldLists = useQueries({
    queries: schemaIds.map((id) => ({
      queryKey: ['schemas', id, 'fields'],
      queryFn: () => unwrap<{ items: { path: string; system: boolean }[] }>(api.GET('/v1/schemas/{id}/fields', { params: { path: { id } } })),
    })),
  });
  const attributes = [...new Set(fieldLists.flatMap((q) => (q.data?.items ?? []).filter((f) => !f.system).map((f) => f.path)))].sort();
  const cursor = cursors[cursors.length - 1];
  const filtered = filters.attribute !== '' && filters.value !== '';
  const page = useQuery({
    queryKey: ['profiles', filters, cursor],
    placeholderData: keepPreviousData, // the table stays while the next page or filter loads
    queryFn: () =>
      unwrap<{ items: ProfileRow[]; nextCursor: string | null }>(
        api.GET('/v1/profiles', {
          params: {
            query: {
              limit: PAGE,
              cursor,
              namespace: filters.namespace || undefined,
              datasetId: filters.datasetId || undefined,
              ...(filtered ? { attribute: filters.attribute, value: filters.value } : {}),
            },
          },
        }),
      ),
  });
  const dsName = (id: string) => datasets.data?.items.find((d) => d.id === id)?.name ?? id;
  const apply = (next: typeof filters) => {
    setCursors([undefined]);
    setParams(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== '')));
  };
  const columns: ColumnDef<ProfileRow>[] = [
    { accessorKey: 'identity', header: t('identity'), cell: (c) => <Anchor component={Link} to={profilePath(c.row.original.namespace.code, c.row.original.identity)}><code>{c.row.original.identity}</code></Anchor> },
    {
      id: 'namespace',
      accessorFn: (r) => r.namespace.name,
      header: t('namespace'),
      cell: (c) => (
        <Group gap={6} wrap="nowrap">
          <Text size="sm">{c.row.original.namespace.name}</Text>
          <Badge variant="default" tt="none">{c.row.original.namespace.code}</Badge>
        </Group>
      ),
    },
    { id: 'datasets', accessorFn: (r) => r.datasets.map(dsName).join(', '), header: t('datasets') },
    { accessorKey: 'lastLoadedAt', header: t('lastLoaded'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  const nsOptions = [{ value: '', label: t('any') }, ...(namespaces.data?.items ?? []).filter((n) => n.type === 'partner_id').map((n) => ({ value: n.code, label: `${n.name} (${n.code})` }))];
  const dsOptions = [{ value: '', label: t('any') }, ...profileDatasets.map((d) => ({ value: d.id, label: d.name }))];
  const rows = page.data?.items ?? [];
  return (
    <Stack>
      <div>
        <Title order={2}>{t('title')}</Title>
        <Text size="sm" c="dimmed">{t('intro')}</Text>
      </div>
      <FindProfile namespaces={nsOptions.slice(1)} />
      <Card withBorder>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <Title order={3} size="h5" mb="xs">{t('browse')}</Title>
          <Group align="flex-end" gap="sm">
            <Select label={t('namespace')} data={nsOptions} value={draft.namespace} onChange={(v) => setDraft({ ...draft, namespace: v ?? '' })} allowDeselect={false} w={220} />
            <Select label={t('dataset')} data={dsOptions} value={draft.datasetId} onChange={(v) => setDraft({ ...draft, datasetId: v ?? '' })} allowDeselect={false} w={200} />
            <Autocomplete label={t('attribute')} data={attributes} value={draft.attribute} onChange={(v) => setDraft({ ...draft, attribute: v })} w={220} />
            <Text pb={8} aria-hidden>=</Text>
            <TextInput label={t('value')} value={draft.value} onChange={(e) => setDraft({ ...draft, value: e.currentTarget.value })} w={160} />
            <Button type="submit">{t('apply')}</Button>
            <Button variant="default" onClick={() => { const empty = { namespace: '', datasetId: '', attribute: '', value: '' }; setDraft(empty); apply(empty); }}>{t('reset')}</Button>
          </Group>
          <Text size="xs" c="dimmed" mt={4}>{t('attributeHint')}</Text>
        </form>
      </Card>
      <ProblemAlert error={page.error} />
      {page.isPending ? (
        <Loader aria-label={t('common:loading')} />
      ) : page.isSuccess && rows.length === 0 && cursors.length === 1 ? (
        <Card withBorder><Text size="sm" data-testid="profiles-empty">{t('empty')}</Text></Card>
      ) : (
        <DataTable label={t('title')} data={rows} columns={columns} searchable={false} />
      )}
      <Group justify="space-between">
        <Text size="sm">{t('page', { page: cursors.length })}</Text>
        <Group gap="xs">
          <Button variant="default" size="xs" disabled={cursors.length === 1} onClick={() => setCursors(cursors.slice(0, -1))}>{t('prev')}</Button>
          <Button variant="default" size="xs" disabled={!page.data?.nextCursor} onClick={() => setCursors([...cursors, page.data?.nextCursor ?? undefined])}>{t('next')}</Button>
        </Group>
      </Group>
    </Stack>
  );
}

function FindProfile({ namespaces }: { namespaces: { value: string; label: string }[] }) {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const [namespace, setNamespace] = useState<string | null>(null);
  const [identity, setIdentity] = useState('');
  const chosen = namespace ?? namespaces[0]?.value ?? null;
  return (
    <Card withBorder>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (chosen && identity.trim()) void navigate(profilePath(chosen, identity.trim()));
        }}
      >
        <Title order={3} size="h5" mb="xs">{t('find')}</Title>
        <Group align="flex-end" gap="sm">
          <Select label={t('namespace')} data={namespaces} value={chosen} onChange={setNamespace} allowDeselect={false} w={260} />
          <TextInput label={t('identity')} value={identity} onChange={(e) => setIdentity(e.currentTarget.value)} w={240} />
          <Button type="submit" variant="light" disabled={!chosen || !identity.trim()}>{t('open')}</Button>
        </Group>
      </form>
    </Card>
  );
}
