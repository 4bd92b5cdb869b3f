/**
 * A tracker's page (픽셀 & SDK 이름 → 이벤트 목록): name (the MASTER may rename), track_id, 권한,
 * 수집현황 and 타겟모수 (both live), the events of the last 120 days, the install code, and the
 * pixel & SDK targets of this ad account built on it.
 */
import { Anchor, Group, List, Loader, Stack, Table, Text, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate, formatNumber } from '../../../i18n';
import { CopyField } from '../../../ui/CopyField';
import { EditableName } from '../../../ui/EditableName';
import { Facts } from '../../../ui/Facts';
import { GuardedButton } from '../../../ui/Guarded';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { TRACKERS_KEY, useTracker, useTrackerEvents } from './api';
import { CollectionStatus } from './CollectionStatus';
import { ns } from './i18n';
import { InstallCode } from './InstallCode';

export function TrackerDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { trackId = '' } = useParams();
  const qc = useQueryClient();
  const tracker = useTracker(trackId);
  const events = useTrackerEvents(trackId);
  const refresh = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/trackers/{trackId}/refresh', { params: { path: { trackId } } })),
    onSettled: () => qc.invalidateQueries({ queryKey: TRACKERS_KEY }),
  });
  if (tracker.isPending) return <Loader aria-label={t('common:loading')} />;
  const tr = tracker.data;
  return (
    <Stack>
      <Anchor component={Link} to="/targets/pixels" size="sm">← {t('detail.back')}</Anchor>
      <ProblemAlert error={tracker.error} />
      {tr && (
        <>
          <Title order={3}>{t('detail.title')}</Title>
          <Facts
            labelWidth={160}
            items={[
              [
                t('detail.name'),
                tr.role === 'MASTER' ? (
                  <EditableName
                    value={tr.name}
                    label={t('detail.name')}
                    permission="trackers.write"
                    maxLength={50}
                    onSave={async (name) => {
                      await unwrap(api.PATCH('/v1/trackers/{trackId}', { params: { path: { trackId } }, body: { name } }));
                      await qc.invalidateQueries({ queryKey: TRACKERS_KEY });
                    }}
                  />
                ) : (
                  <Text size="sm" title={t('detail.masterOnly')}>{tr.name}</Text>
                ),
              ],
              [t('columns.trackId'), <CopyField value={tr.trackId} label={t('columns.trackId')} />],
              [t('columns.role'), t(`roles.${tr.role}`)],
              [t('columns.status'), <CollectionStatus status={tr.status} lastEventAt={tr.lastEventAt} />],
              [
                t('columns.population'),
                <Group gap="sm">
                  <span data-testid="tracker-population"><PopulationBadge population={tr.population} /></span>
                  <GuardedButton permission="trackers.write" size="compact-xs" variant="default" onClick={() => refresh.mutate()} loading={refresh.isPending}>{t('detail.refresh')}</GuardedButton>
                </Group>,
              ],
            ]}
          />
          <Text size="xs">{t('populationHint')}</Text>
          <ProblemAlert error={refresh.error} />
          <div>
            <Title order={4}>{t('detail.events')}</Title>
            {events.data && <Text size="xs" c="dimmed">{t('detail.eventsHint', { from: formatDate(events.data.from), to: formatDate(events.data.to) })}</Text>}
          </div>
          <ProblemAlert error={events.error} />
          <Table withTableBorder aria-label={t('detail.events')} data-testid="tracker-events">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>{t('detail.event')}</Table.Th>
                <Table.Th>{t('detail.count')}</Table.Th>
                <Table.Th>{t('detail.firstSeen')}</Table.Th>
                <Table.Th>{t('detail.lastSeen')}</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {(events.data?.items ?? []).length === 0 ? (
                <Table.Tr><Table.Td colSpan={4}><Text size="sm">{t('detail.noEvents')}</Text></Table.Td></Table.Tr>
              ) : (
                events.data!.items.map((e) => (
                  <Table.Tr key={e.event} data-event={e.event}>
                    <Table.Td>{t(`events.${e.event}`, { defaultValue: e.event })} <Text span size="xs">({e.event})</Text></Table.Td>
                    <Table.Td data-testid={`event-count-${e.event}`}>{formatNumber(e.count)}</Table.Td>
                    <Table.Td>{formatDate(e.firstSeenAt)}</Table.Td>
                    <Table.Td>{formatDate(e.lastSeenAt)}</Table.Td>
                  </Table.Tr>
                ))
              )}
            </Table.Tbody>
          </Table>
          {tr.usage.length > 0 && (
            <>
              <Title order={4}>{t('detail.targets')}</Title>
              <List size="sm">
                {tr.usage.map((u) => <List.Item key={u.id}><Anchor component={Link} to={`/targets/pixels/targets/${u.id}`} size="sm">{u.name}</Anchor></List.Item>)}
              </List>
            </>
          )}
          <InstallCode trackId={tr.trackId} name={tr.name} />
        </>
      )}
    </Stack>
  );
}
