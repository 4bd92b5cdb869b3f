/**
 * Connect a destination: the kind's settings and credentials, saved, then tested at once
 * (POST /v1/destinations/{id}/test); a failed test offers to test again or delete it.
 */
import { Alert, Button, Group, Modal, NumberInput, PasswordInput, Select, SimpleGrid, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, ApiProblem, unwrap } from '../../api/client';
import { DEFAULT_TEMPLATE, FileNameEditor } from '../../ui/FileNameTemplate';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import type { ConnectionTest, Destination, DestinationKind } from './types';

type Form = Record<string, string>;
const S3_DEFAULTS: Form = { name: '', region: 'ap-northeast-2', bucket: '', prefix: '', endpoint: '', accessKeyId: '', secretAccessKey: '', format: 'csv', delimiter: ',', compression: 'gzip', fileNameTemplate: DEFAULT_TEMPLATE, customText: '' };
const LR_DEFAULTS: Form = { name: '', host: '', port: '22', username: '', password: '', privateKey: '', hostKeyFingerprint: '', folder: 'uploads', org: '', destinationName: '', instanceId: '' };

function body(kind: DestinationKind, f: Form) {
  const opt = (k: string) => (f[k].trim() ? { [k]: f[k].trim() } : {});
  if (kind === 's3') {
    return {
      name: f.name,
      kind,
      settings: { region: f.region, bucket: f.bucket, ...opt('prefix'), ...opt('endpoint'), format: f.format, delimiter: f.delimiter, compression: f.compression, ...opt('fileNameTemplate'), ...opt('customText') },
      credentials: { accessKeyId: f.accessKeyId, secretAccessKey: f.secretAccessKey },
    };
  }
  return {
    name: f.name,
    kind,
    settings: { host: f.host, port: Number(f.port) || 22, username: f.username, ...opt('hostKeyFingerprint'), ...opt('folder'), org: f.org, ...opt('destinationName'), instanceId: f.instanceId },
    credentials: f.privateKey.trim() ? { privateKey: f.privateKey } : { password: f.password },
  };
}

export function TestResult({ result }: { result: ConnectionTest }) {
  const { t } = useTranslation(ns);
  return result.ok ? (
    <Alert color="green" styles={{ title: { color: 'var(--mantine-color-text)' } }} title={t('test.ok')} data-testid="connection-test">{result.detail}</Alert>
  ) : (
    <Alert color="red" title={`${t('test.failed')}: ${t(`reasons.${result.reason}`, { defaultValue: result.reason })}`} data-testid="connection-test">{result.message}</Alert>
  );
}

export function CreateDestination({ kind, onClose }: { kind: DestinationKind; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [form, setForm] = useState<Form>(kind === 's3' ? S3_DEFAULTS : LR_DEFAULTS);
  const [created, setCreated] = useState<Destination | null>(null);
  const set = (k: string) => (v: string) => setForm((f) => ({ ...f, [k]: v }));
  const test = useMutation({ mutationFn: (id: string) => unwrap<ConnectionTest>(api.POST('/v1/destinations/{id}/test', { params: { path: { id } } })) });
  const create = useMutation({
    mutationFn: () => unwrap<Destination>(api.POST('/v1/destinations', { body: body(kind, form) as never })),
    onSuccess: async (d) => {
      setCreated(d);
      await qc.invalidateQueries({ queryKey: ['destinations'] });
      test.mutate(d.id);
    },
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/v1/destinations/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['destinations'] });
      setCreated(null);
      test.reset();
    },
  });
  const err = create.error;
  const input = (k: string, extra: Record<string, unknown> = {}) => (
    <TextInput label={t(`fields.${k}`)} value={form[k]} onChange={(e) => set(k)(e.currentTarget.value)} error={fieldError(err, `/settings/${k}`) ?? fieldError(err, `/credentials/${k}`)} {...extra} />
  );
  const shown = new Set(['/name', '/settings/region', '/settings/bucket', '/settings/prefix', '/settings/endpoint', '/settings/fileNameTemplate', '/settings/customText', '/settings/host', '/settings/org', '/settings/instanceId', '/settings/folder']);
  return (
    <Modal opened onClose={onClose} title={t('create.title', { kind: t(`kinds.${kind}`) })} size="lg" closeButtonProps={{ 'aria-label': t('common:close') }}>
      {created ? (
        <Stack>
          <Text size="sm">{created.name}</Text>
          {test.isPending && <Text size="sm">{t('create.testing')}</Text>}
          {test.data && <TestResult result={test.data} />}
          <ProblemAlert error={test.error ?? remove.error} />
          <Group justify="flex-end">
            {test.data && !test.data.ok && (
              <>
                <Button variant="default" color="red" onClick={() => remove.mutate(created.id)} loading={remove.isPending}>{t('test.remove')}</Button>
                <Button variant="default" onClick={() => test.mutate(created.id)} loading={test.isPending}>{t('test.again')}</Button>
              </>
            )}
            <Button onClick={() => navigate(`/destinations/${created.id}`)} disabled={test.isPending}>{t('detail.open')}</Button>
          </Group>
        </Stack>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            create.mutate();
          }}
        >
          <Stack>
            <TextInput label={t('common:name')} value={form.name} onChange={(e) => set('name')(e.currentTarget.value)} error={fieldError(err, '/name')} required data-autofocus />
            {kind === 's3' ? (
              <>
                <SimpleGrid cols={2}>
                  {input('bucket', { required: true })}
                  {input('region', { required: true })}
                </SimpleGrid>
                {input('prefix', { description: t('fields.prefixHint') })}
                {input('endpoint', { description: t('fields.endpointHint') })}
                <SimpleGrid cols={2}>
                  {input('accessKeyId', { required: true })}
                  <PasswordInput label={t('fields.secretAccessKey')} value={form.secretAccessKey} onChange={(e) => set('secretAccessKey')(e.currentTarget.value)} required />
                </SimpleGrid>
                <SimpleGrid cols={3}>
                  <Select label={t('fields.format')} data={[{ value: 'csv', label: 'CSV' }, { value: 'jsonl', label: 'JSON Lines' }]} value={form.format} onChange={(v) => v && set('format')(v)} allowDeselect={false} />
                  <Select label={t('fields.delimiter')} data={[',', '|', ';', ':', '\t'].map((d) => ({ value: d, label: d === '\t' ? 'Tab' : d }))} value={form.delimiter} onChange={(v) => v && set('delimiter')(v)} allowDeselect={false} disabled={form.format !== 'csv'} />
                  <Select label={t('fields.compression')} data={[{ value: 'gzip', label: t('gzip') }, { value: 'none', label: t('none') }]} value={form.compression} onChange={(v) => v && set('compression')(v)} allowDeselect={false} />
                </SimpleGrid>
                <FileNameEditor
                  value={form.fileNameTemplate}
                  onChange={set('fileNameTemplate')}
                  gzip={form.compression === 'gzip'}
                  error={fieldError(err, '/settings/fileNameTemplate')}
                  tokens={{ destination: form.name || 'destination', audienceId: 'aud_0123456789', audienceName: 'audience', destinationInstance: 'dest_…', customText: form.customText, at: new Date() }}
                />
                {input('customText')}
              </>
            ) : (
              <>
                <SimpleGrid cols={3}>
                  {input('host', { required: true })}
                  <NumberInput label={t('fields.port')} value={form.port} onChange={(v) => set('port')(String(v))} min={1} max={65535} error={fieldError(err, '/settings/port')} />
                  {input('username', { required: true })}
                </SimpleGrid>
                <PasswordInput label={t('fields.password')} value={form.password} onChange={(e) => set('password')(e.currentTarget.value)} error={fieldError(err, '/credentials')} />
                <Textarea label={t('fields.privateKey')} value={form.privateKey} onChange={(e) => set('privateKey')(e.currentTarget.value)} autosize minRows={2} />
                {input('hostKeyFingerprint')}
                {input('folder')}
                <SimpleGrid cols={3}>
                  {input('org', { required: true })}
                  {input('destinationName')}
                  {input('instanceId', { required: true })}
                </SimpleGrid>
              </>
            )}
            <Text size="xs" c="dimmed">{t('credentialsHint')}</Text>
            {err && (!(err instanceof ApiProblem) || err.errors.length === 0 || err.errors.some((e) => !shown.has(e.pointer))) ? <ProblemAlert error={err} /> : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
              <Button type="submit" loading={create.isPending}>{t('create.submit')}</Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}
