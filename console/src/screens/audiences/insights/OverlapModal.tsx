/** Overlap of 2–3 audiences: the exact size of every region (A만, A ∩ B, …) from each one's latest evaluation. */
import { Badge, Group, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../../i18n';
import { Dialog } from '../../../ui/Dialog';
import { ProblemAlert } from '../../../ui/Problem';
import { ns } from '../i18n';
import { OverlapResult, useOverlap } from './api';
import { Venn } from './Venn';

const letter = (i: number) => String.fromCharCode(65 + i);

function regionLabel(data: OverlapResult, r: OverlapResult['regions'][number], t: (k: string, o?: Record<string, unknown>) => string): string {
  const l = (id: string) => letter(data.audiences.findIndex((a) => a.id === id));
  if (r.in.length === 1) return t('overlap.only', { a: l(r.in[0]!) });
  const both = r.in.map(l).join(' ∩ ');
  return r.notIn.length ? t('overlap.without', { both, rest: r.notIn.map(l).join(', ') }) : both;
}

export function OverlapModal({ audienceIds, opened, onClose }: { audienceIds: string[]; opened: boolean; onClose: () => void }) {
  const { t } = useTranslation(ns);
  const overlap = useOverlap(audienceIds, opened);
  const d = overlap.data;
  return (
    <Dialog opened={opened} onClose={onClose} title={t('overlap.title')} size="lg">
      <Stack gap="sm">
        <Text size="xs" c="dimmed">{t('overlap.hint')}</Text>
        <ProblemAlert error={overlap.error} />
        {overlap.isLoading && <Text size="sm">{t('estimate.calculating')}</Text>}
        {d && (
          <>
            <Table withTableBorder aria-label={t('overlap.audiences')}>
              <Table.Tbody>
                {d.audiences.map((a, i) => (
                  <Table.Tr key={a.id}>
                    <Table.Td><Badge variant="light">{letter(i)}</Badge></Table.Td>
                    <Table.Td>{a.name}</Table.Td>
                    <Table.Td ta="right">{formatNumber(a.size)}</Table.Td>
                    <Table.Td><Text size="xs" c="dimmed">{t('overlap.evaluatedAt', { at: formatDate(a.evaluatedAt) })}</Text></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
            <Group justify="center">
              <Venn data={d} label={t('overlap.venn')} />
            </Group>
            <Table striped withTableBorder aria-label={t('overlap.regions')} data-testid="overlap-regions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('overlap.region')}</Table.Th>
                  <Table.Th ta="right">{t('insights.profiles')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {d.regions.map((r) => (
                  <Table.Tr key={r.in.join('+')} data-region={r.in.join('+')}>
                    <Table.Td>{regionLabel(d, r, t)}</Table.Td>
                    <Table.Td ta="right" data-count={r.count}>{formatNumber(r.count)}</Table.Td>
                  </Table.Tr>
                ))}
                <Table.Tr>
                  <Table.Td fw={700}>{t('overlap.union')}</Table.Td>
                  <Table.Td ta="right" fw={700} data-testid="overlap-union" data-count={d.union}>{formatNumber(d.union)}</Table.Td>
                </Table.Tr>
              </Table.Tbody>
            </Table>
          </>
        )}
      </Stack>
    </Dialog>
  );
}
