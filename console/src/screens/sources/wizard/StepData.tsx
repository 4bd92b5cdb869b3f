/**
 * Step 1, select data: the account, then browse a folder or bucket prefix (the connection test
 * lists its newest files), pick a file, set the file pattern and format, and preview the file. The
 * API reads the picked remote file itself (its first rows, through the connector a run uses) and
 * answers its columns, which the mapping step then suggests fields for; it is read again when the
 * format changes.
 */
import { Badge, Button, Group, Loader, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../api/client';
import { Notice } from '../../../ui/Notice';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { ConnectionForm } from '../ConnectionForm';
import { useConnections } from '../Connections';
import { ns } from '../i18n';
import { TestResultView, useConnectionTest } from '../TestConnection';
import type { ConnectionKind, RemoteFile } from '../types';
import type { Draft } from './draft';
import type { RemotePreview } from './preview';

const baseName = (p: string) => p.split('/').pop() ?? p;

/** The server's preview of the picked file, read as the chosen format. */
function useRemotePreview(connectionId: string | null, path: string | undefined, format: Draft['format']) {
  return useQuery({
    queryKey: ['connections', connectionId, 'preview', path, format],
    enabled: !!connectionId && !!path,
    retry: false, // a refusal (422, 404) or a connector failure does not get better by asking again
    queryFn: () => unwrap<RemotePreview>(api.POST('/v1/connections/{id}/preview', { params: { path: { id: connectionId ?? '' } }, body: { path: path ?? '', format: { format } } })),
  });
}

export function StepData({ draft, set, error, kind }: { draft: Draft; set: (patch: Partial<Draft>) => void; error: unknown; kind: ConnectionKind | null }) {
  const { t } = useTranslation([ns, 'common']);
  const connections = useConnections();
  const [creating, setCreating] = useState(false);
  const browse = useConnectionTest(draft.connectionId);
  const preview = useRemotePreview(draft.connectionId, draft.picked?.path, draft.format);
  const result = preview.data;
  // The mapping step reads the columns from the draft (this step unmounts when it is left): the
  // answer for the picked file and format, none while it is read or when it failed.
  useEffect(() => {
    set({ preview: result?.ok && draft.picked ? { fileName: baseName(draft.picked.path), columns: result.columns, rows: result.rows } : null });
  }, [result]);
  const items = (connections.data?.items ?? []).filter((c) => !kind || c.kind === kind);
  const pick = (f: RemoteFile) => {
    const name = baseName(f.path);
    const format = /\.(jsonl|ndjson|json)(\.gz)?$/i.test(name) ? 'jsonl' : 'csv';
    set({ picked: f, pattern: name, format });
  };
  return (
    <Stack>
      <Group align="flex-end">
        <Select
          label={t('account')}
          data={items.map((c) => ({ value: c.id, label: `${c.name} (${t(`kinds.${c.kind}`)})` }))}
          value={draft.connectionId}
          onChange={(v) => {
            set({ connectionId: v, picked: null });
            browse.reset();
          }}
          error={fieldError(error, '/connectionId')}
          w={360}
          searchable
          required
        />
        <Button variant="default" onClick={() => setCreating(true)}>{t('newAccount')}</Button>
      </Group>
      {creating ? <ConnectionForm initialKind={kind ?? 'sftp'} onClose={() => setCreating(false)} onCreated={(c) => set({ connectionId: c.id })} /> : null}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.connectionId) browse.mutate(draft.folder);
        }}
      >
        <Group align="flex-end">
          <TextInput label={t('folder')} description={t('testFolderHint')} value={draft.folder} onChange={(e) => set({ folder: e.currentTarget.value })} error={fieldError(browse.error, '/folder') ?? fieldError(error, '/folder')} w={480} required />
          <Button type="submit" variant="light" disabled={!draft.connectionId} loading={browse.isPending}>{t('browse')}</Button>
        </Group>
      </form>
      {browse.error && !fieldError(browse.error, '/folder') ? <ProblemAlert error={browse.error} /> : null}
      {browse.data ? <TestResultView result={browse.data} onPick={pick} picked={draft.picked?.path} /> : null}
      <Group align="flex-start" grow>
        <TextInput label={t('pattern')} description={t('patternHint')} value={draft.pattern} onChange={(e) => set({ pattern: e.currentTarget.value })} error={fieldError(error, '/pattern')} required />
        <Select label={t('format')} data={[{ value: 'csv', label: 'CSV' }, { value: 'jsonl', label: 'JSON Lines' }]} value={draft.format} onChange={(v) => v && set({ format: v as Draft['format'] })} error={fieldError(error, '/format')} allowDeselect={false} />
      </Group>
      <Stack gap="xs">
        <Title order={3} size="h5">{t('preview')}</Title>
        <Text size="sm">{t('previewHint')}</Text>
        {draft.picked ? (
          <Group gap="xs">
            <code>{draft.picked.path}</code>
            {result?.ok && result.format.compression === 'gzip' ? <Badge variant="light" color="gray" data-testid="preview-compression">gzip</Badge> : null}
            {preview.isFetching ? <Loader size="xs" aria-label={t('previewLoading')} /> : null}
          </Group>
        ) : null}
        {preview.error ? <ProblemAlert error={preview.error} /> : null}
        {result && !result.ok ? (
          <Notice tone="danger" title={t('previewFailed')} role="alert" data-testid="preview-result">
            <Group gap="xs" mb={4}>
              <Badge color="red.9" variant="filled" data-testid="preview-reason">{t(`reasons.${result.reason}`)}</Badge>
              <code>{result.reason}</code>
            </Group>
            <Text size="sm">{result.message}</Text>
          </Notice>
        ) : null}
        {result?.ok ? (
          <>
            <Table.ScrollContainer minWidth={400}>
              <Table withTableBorder striped aria-label={t('preview')} data-testid="remote-preview">
                <Table.Thead>
                  <Table.Tr>{result.columns.map((c, j) => <Table.Th key={j}>{c}</Table.Th>)}</Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {result.rows.map((r, i) => (
                    <Table.Tr key={i}>{result.columns.map((_, j) => <Table.Td key={j}>{r[j] ?? ''}</Table.Td>)}</Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            {result.invalidUtf8 ? <Notice tone="warning" data-testid="preview-not-utf8">{t('previewNotUtf8')}</Notice> : null}
            <Text size="sm" c="dimmed" data-testid="preview-note">
              {t('previewRows', { count: result.rows.length })}
              {result.truncated ? ` · ${t('previewMore')}` : ''}
            </Text>
          </>
        ) : null}
      </Stack>
    </Stack>
  );
}
