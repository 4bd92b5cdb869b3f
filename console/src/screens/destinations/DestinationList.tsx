/**
 * Destinations (Adobe: Destinations → Catalog filtered by Data type: Prospects, and Browse): the
 * kinds that take prospect audiences as catalog cards, and the connected destinations.
 */
import { Anchor, Badge, Card, Group, Select, SimpleGrid, Stack, Tabs, Text, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { useMarketingActionText } from '../../ui/marketing-actions';
import { ProblemAlert } from '../../ui/Problem';
import { CreateDestination } from './CreateDestination';
import { ns } from './i18n';
import { Destination, DestinationKind, locationOf } from './types';

/** What each kind takes: both take prospect audiences (Adobe: S3, and LiveRamp in alpha). */
const CATALOG: { kind: DestinationKind; dataTypes: string[]; alpha?: boolean }[] = [
  { kind: 's3', dataTypes: ['prospects'] },
  { kind: 'liveramp', dataTypes: ['prospects'], alpha: true },
];

export function useDestinations() {
  return useQuery({ queryKey: ['destinations'], queryFn: () => unwrap<{ items: Destination[] }>(api.GET('/v1/destinations')), select: (d) => d.items });
}

export function DestinationList() {
  const { t } = useTranslation([ns, 'common']);
  const [tab, setTab] = useState<string | null>('catalog');
  const [dataType, setDataType] = useState<string>('prospects');
  const [creating, setCreating] = useState<DestinationKind | null>(null);
  const list = useDestinations();
  const action = useMarketingActionText();
  const columns: ColumnDef<Destination>[] = [
    { accessorKey: 'name', header: t('common:name'), cell: (c) => <Anchor component={Link} to={`/destinations/${c.row.original.id}`}>{c.getValue<string>()}</Anchor> },
    { accessorKey: 'kind', header: t('kind'), cell: (c) => t(`kinds.${c.getValue<string>()}`) },
    { id: 'location', accessorFn: locationOf, header: t('location'), cell: (c) => <code>{c.getValue<string>()}</code> },
    { accessorKey: 'marketingActions', header: t('marketingActions'), cell: (c) => <Group gap={4}>{c.getValue<string[]>().map((m) => <Badge key={m} variant="outline" tt="none">{action.name({ name: m, displayName: m, description: '', core: true })}</Badge>)}</Group> },
    { accessorKey: 'createdAt', header: t('common:created'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  return (
    <Stack>
      <div>
        <Title order={2}>{t('title')}</Title>
        <Text size="sm" c="dimmed">{t('intro')}</Text>
      </div>
      <Tabs value={tab} onChange={setTab}>
        <Tabs.List>
          <Tabs.Tab value="catalog">{t('catalog')}</Tabs.Tab>
          <Tabs.Tab value="browse">{t('browse')} ({list.data?.length ?? 0})</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="catalog" pt="md">
          <Stack>
            <Select label={t('dataType')} data={[{ value: 'prospects', label: t('prospects') }]} value={dataType} onChange={(v) => v && setDataType(v)} allowDeselect={false} w={220} />
            <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
              {CATALOG.filter((c) => c.dataTypes.includes(dataType)).map((c) => (
                <Card key={c.kind} withBorder radius="md" padding="lg" data-testid={`catalog-${c.kind}`}>
                  <Group justify="space-between" mb="xs">
                    <Title order={3} size="h4">{t(`kinds.${c.kind}`)}</Title>
                    <Group gap={4}>
                      <Badge variant="light">{t('prospects')}</Badge>
                      {c.alpha && <Badge variant="outline" color="gray">{t('alpha')}</Badge>}
                    </Group>
                  </Group>
                  <Text size="sm" mb="md">{t(`kindDescriptions.${c.kind}`)}</Text>
                  <GuardedButton permission="destinations.write" onClick={() => setCreating(c.kind)} aria-label={`${t(`kinds.${c.kind}`)}: ${t('connect')}`}>
                    {t('connect')}
                  </GuardedButton>
                </Card>
              ))}
            </SimpleGrid>
          </Stack>
        </Tabs.Panel>
        <Tabs.Panel value="browse" pt="md">
          <ProblemAlert error={list.error} />
          <DataTable label={t('list')} data={list.data ?? []} columns={columns} />
        </Tabs.Panel>
      </Tabs>
      {creating && <CreateDestination kind={creating} onClose={() => setCreating(null)} />}
    </Stack>
  );
}
