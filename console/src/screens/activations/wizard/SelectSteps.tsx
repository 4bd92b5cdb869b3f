/** Wizard steps 1 and 2: the destination (one) and the audiences (one or more). */
import { Anchor, Badge, Checkbox, Group, Radio, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { formatDate, formatNumber } from '../../../i18n';
import { DataTable } from '../../../ui/DataTable';
import { StatusBadge } from '../../audiences/AudienceList';
import type { Audience } from '../../audiences/types';
import { locationOf, type Destination } from '../../destinations/types';
import { ns } from '../i18n';
import type { Draft } from './draft';

export function DestinationStep({ draft, set, destinations }: { draft: Draft; set: (d: Partial<Draft>) => void; destinations: Destination[] }) {
  const { t } = useTranslation([ns, 'destinations', 'common']);
  if (destinations.length === 0) {
    return (
      <Stack>
        <Text size="sm">{t('wizard.noDestinations')}</Text>
        <Anchor component={Link} to="/destinations">{t('wizard.goDestinations')}</Anchor>
      </Stack>
    );
  }
  return (
    <Radio.Group value={draft.destinationId} onChange={(v) => set({ destinationId: v })} label={t('wizard.steps.destination')}>
      <SimpleGrid cols={{ base: 1, md: 3 }} mt="sm">
        {destinations.map((d) => (
          <Radio.Card
            key={d.id}
            value={d.id}
            p="md"
            radius="md"
            aria-label={t('wizard.chooseDestination', { name: d.name })}
            data-testid={`destination-${d.name}`}
            style={draft.destinationId === d.id ? { borderColor: 'var(--mantine-color-blue-8)', borderWidth: 2 } : undefined}
          >
            <Group wrap="nowrap" align="flex-start">
              <Radio.Indicator />
              <div>
                <Text fw={600}>{d.name}</Text>
                <Badge variant="light" size="sm" tt="none">{t(`destinations:kinds.${d.kind}`)}</Badge>
                <Text size="xs" mt={4} style={{ wordBreak: 'break-all' }}>{locationOf(d)}</Text>
              </div>
            </Group>
          </Radio.Card>
        ))}
      </SimpleGrid>
    </Radio.Group>
  );
}

export function AudiencesStep({ draft, set, audiences }: { draft: Draft; set: (d: Partial<Draft>) => void; audiences: Audience[] }) {
  const { t } = useTranslation([ns, 'audiences', 'common']);
  const toggle = (id: string, on: boolean) => set({ audienceIds: on ? [...draft.audienceIds, id] : draft.audienceIds.filter((x) => x !== id) });
  const columns: ColumnDef<Audience>[] = [
    {
      id: 'select',
      header: t('wizard.selected', { count: draft.audienceIds.length }),
      cell: (c) => <Checkbox aria-label={t('wizard.chooseAudience', { name: c.row.original.name })} checked={draft.audienceIds.includes(c.row.original.id)} onChange={(e) => toggle(c.row.original.id, e.currentTarget.checked)} />,
    },
    { accessorKey: 'name', header: t('common:name') },
    { accessorKey: 'status', header: t('common:status'), cell: (c) => <StatusBadge status={c.row.original.status} /> },
    { accessorKey: 'size', header: t('audiences:size'), cell: (c) => formatNumber(c.getValue<number | null>()) },
    { id: 'last', accessorFn: (a) => a.lastEvaluation?.finishedAt ?? '', header: t('audiences:lastEvaluation'), cell: (c) => formatDate(c.row.original.lastEvaluation?.finishedAt) },
  ];
  if (audiences.length === 0) {
    return (
      <Stack>
        <Text size="sm">{t('wizard.noAudiences')}</Text>
        <Anchor component={Link} to="/audiences">{t('common:nav.audiences')}</Anchor>
      </Stack>
    );
  }
  return <DataTable label={t('wizard.steps.audiences')} data={audiences} columns={columns} />;
}
