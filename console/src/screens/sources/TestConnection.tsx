/**
 * Test connection: the API checks reachability, credentials and a folder, and answers ok with the
 * newest files there, or the typed reason (auth_failed, no_such_folder, …) with what to fix.
 * The wizard's "browse" step uses the same answer to list a folder's files.
 */
import { Badge, Button, Group, Modal, Stack, Table, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { formatBytes } from '../../ui/format';
import { Notice } from '../../ui/Notice';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import type { Connection, RemoteFile, TestResult } from './types';

export function useConnectionTest(connectionId: string | null) {
  return useMutation({
    mutationFn: (folder: string) => unwrap<TestResult>(api.POST('/v1/connections/{id}/test', { params: { path: { id: connectionId ?? '' } }, body: { folder } })),
  });
}

export const defaultFolder = (c: Connection | undefined) => (c?.kind === 's3' ? '/' : '/');

export function TestResultView({ result, onPick, picked }: { result: TestResult; onPick?: (f: RemoteFile) => void; picked?: string }) {
  const { t } = useTranslation([ns, 'common']);
  if (!result.ok) {
    return (
      <Notice tone="danger" title={t('testFailed')} role="alert" data-testid="test-result">
        <Group gap="xs" mb={4}>
          <Badge color="red.9" variant="filled" data-testid="test-reason">{t(`reasons.${result.reason}`)}</Badge>
          <code>{result.reason}</code>
        </Group>
        <Text size="sm">{result.message}</Text>
      </Notice>
    );
  }
  return (
    <Stack gap="xs" data-testid="test-result">
      <Notice tone="success" title={t('testOk')}>
        <Text size="sm">{result.detail}</Text>
      </Notice>
      {result.sample.length > 0 ? (
        <Table withTableBorder highlightOnHover aria-label={t('files')}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>{t('files')}</Table.Th>
              <Table.Th>{t('size')}</Table.Th>
              <Table.Th>{t('modified')}</Table.Th>
              {onPick ? <Table.Th /> : null}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {result.sample.map((f) => (
              <Table.Tr key={f.path} bg={picked === f.path ? 'var(--mantine-color-blue-light)' : undefined}>
                <Table.Td><code>{f.path}</code></Table.Td>
                <Table.Td>{formatBytes(f.size)}</Table.Td>
                <Table.Td>{formatDate(f.modifiedAt)}</Table.Td>
                {onPick ? (
                  <Table.Td>
                    <Button size="xs" variant={picked === f.path ? 'filled' : 'light'} onClick={() => onPick(f)} aria-pressed={picked === f.path} aria-label={`${t('select')} ${f.path}`}>
                      {t('select')}
                    </Button>
                  </Table.Td>
                ) : null}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
    </Stack>
  );
}

export function TestConnectionDialog({ connection, onClose }: { connection: Connection; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const [folder, setFolder] = useState(defaultFolder(connection));
  const test = useConnectionTest(connection.id);
  return (
    <Modal closeButtonProps={{ 'aria-label': t('common:close') }} opened onClose={onClose} title={`${t('test')}: ${connection.name}`} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          test.mutate(folder);
        }}
      >
        <Stack>
          <TextInput label={t('testFolder')} description={t('testFolderHint')} value={folder} onChange={(e) => setFolder(e.currentTarget.value)} error={fieldError(test.error, '/folder')} required data-autofocus />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:close')}</Button>
            <Button type="submit" loading={test.isPending}>{t('runTest')}</Button>
          </Group>
          {test.error && !fieldError(test.error, '/folder') ? <ProblemAlert error={test.error} /> : null}
          {test.data ? <TestResultView result={test.data} /> : null}
        </Stack>
      </form>
    </Modal>
  );
}
