/**
 * Step 1, select data: the account, then browse a folder or bucket prefix (the connection test
 * lists its newest files), pick a file, set the file pattern and format, and preview the file.
 * The API has no remote preview: a local copy of the same file is read in the browser for its
 * columns and first rows (nothing is uploaded).
 */
import { Button, FileButton, Group, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { ConnectionForm } from '../ConnectionForm';
import { useConnections } from '../Connections';
import { ns } from '../i18n';
import { TestResultView, useConnectionTest } from '../TestConnection';
import type { ConnectionKind, RemoteFile } from '../types';
import type { Draft } from './draft';
import { readPreview } from './preview';

const baseName = (p: string) => p.split('/').pop() ?? p;

export function StepData({ draft, set, error, kind }: { draft: Draft; set: (patch: Partial<Draft>) => void; error: unknown; kind: ConnectionKind | null }) {
  const { t } = useTranslation([ns, 'common']);
  const connections = useConnections();
  const [creating, setCreating] = useState(false);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const browse = useConnectionTest(draft.connectionId);
  const items = (connections.data?.items ?? []).filter((c) => !kind || c.kind === kind);
  const pick = (f: RemoteFile) => {
    const name = baseName(f.path);
    const format = /\.(jsonl|ndjson|json)(\.gz)?$/i.test(name) ? 'jsonl' : 'csv';
    set({ picked: f, pattern: name, format, preview: null });
  };
  const onLocalCopy = async (file: File | null) => {
    if (!file) return;
    setPreviewError(null);
    try {
      set({ preview: await readPreview(file, draft.format) });
    } catch (err) {
      setPreviewError(err);
    }
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
        <Select label={t('format')} data={[{ value: 'csv', label: 'CSV' }, { value: 'jsonl', label: 'JSON Lines' }]} value={draft.format} onChange={(v) => v && set({ format: v as Draft['format'], preview: null })} error={fieldError(error, '/format')} allowDeselect={false} />
      </Group>
      <Stack gap="xs">
        <Title order={3} size="h5">{t('preview')}</Title>
        <Text size="sm">{t('previewHint')}</Text>
        <Group>
          <FileButton onChange={(f) => void onLocalCopy(f)} accept=".csv,.txt,.jsonl,.ndjson,.json">
            {(props) => <Button variant="default" size="xs" {...props} data-testid="preview-file">{t('previewChoose')}</Button>}
          </FileButton>
          {draft.preview ? <Text size="sm">{draft.preview.fileName}</Text> : null}
        </Group>
        <ProblemAlert error={previewError} />
        {draft.preview ? (
          <Table.ScrollContainer minWidth={400}>
            <Table withTableBorder striped aria-label={t('preview')}>
              <Table.Thead>
                <Table.Tr>{draft.preview.columns.map((c) => <Table.Th key={c}>{c}</Table.Th>)}</Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {draft.preview.rows.map((r, i) => (
                  <Table.Tr key={i}>{draft.preview!.columns.map((c, j) => <Table.Td key={c}>{r[j] ?? ''}</Table.Td>)}</Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
      </Stack>
    </Stack>
  );
}
