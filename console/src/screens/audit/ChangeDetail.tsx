/** One audit entry: what differs between before and after, row by row, and both documents in full. */
import { Accordion, Badge, Code, Group, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatDate } from '../../i18n';
import { Dialog } from '../../ui/Dialog';
import { changes } from './diff';
import { ns } from './i18n';
import type { AuditEntry } from './types';

export function ChangeDetail({ entry, onClose }: { entry: AuditEntry | null; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const rows = entry ? changes(entry.before, entry.after) : [];
  return (
    <Dialog
      opened={entry !== null}
      onClose={onClose}
      size="80rem"
      title={entry ? t('detailTitle', { type: t(`types.${entry.resourceType}`, { defaultValue: entry.resourceType }), action: t(`actions.${entry.action}`), at: formatDate(entry.at) }) : ''}
    >
      {entry && (
        <Stack>
          <Group gap="xs">
            <Badge variant="default" tt="none">{t(`common:role.${entry.actor.role}`, { defaultValue: entry.actor.role })}</Badge>
            <Text size="sm">
              <code>{entry.actor.keyId}</code> · <code>{entry.resourceId}</code>
            </Text>
          </Group>
          {rows.length === 0 ? (
            <Text size="sm">{t('noChanges')}</Text>
          ) : (
            <Table withTableBorder striped aria-label={t('changes')} data-testid="change-rows">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>{t('field')}</Table.Th>
                  <Table.Th>{t('before')}</Table.Th>
                  <Table.Th>{t('after')}</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r) => (
                  <Table.Tr key={r.path}>
                    <Table.Td><Text size="sm" ff="monospace">{r.path}</Text></Table.Td>
                    <Table.Td><Text size="sm" ff="monospace">{r.before ?? '—'}</Text></Table.Td>
                    <Table.Td><Text size="sm" ff="monospace" fw={600}>{r.after ?? '—'}</Text></Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          )}
          <Accordion variant="contained">
            <Accordion.Item value="json">
              <Accordion.Control>{t('fullJson')}</Accordion.Control>
              <Accordion.Panel>
                <SimpleGrid cols={2}>
                  <div>
                    <Text size="sm" fw={600}>{t('before')}</Text>
                    <Code block>{entry.before === undefined ? '—' : JSON.stringify(entry.before, null, 2)}</Code>
                  </div>
                  <div>
                    <Text size="sm" fw={600}>{t('after')}</Text>
                    <Code block>{entry.after === undefined ? '—' : JSON.stringify(entry.after, null, 2)}</Code>
                  </div>
                </SimpleGrid>
              </Accordion.Panel>
            </Accordion.Item>
          </Accordion>
        </Stack>
      )}
    </Dialog>
  );
}
