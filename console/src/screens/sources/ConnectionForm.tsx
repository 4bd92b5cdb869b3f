/**
 * Connect a new account: SFTP (host, port, username; password or SSH key; optional host key
 * fingerprint) or Amazon S3 (region, bucket, endpoint; access key and secret). Credentials are
 * write-only: sent once, never shown again (the API lists only which ones are set).
 */
import { Button, Group, Modal, NumberInput, PasswordInput, SegmentedControl, Stack, Text, Textarea, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { ns } from './i18n';
import type { Connection, ConnectionKind } from './types';

type Create = components['schemas']['connection-create'];

const EMPTY = { name: '', host: '', port: 22, username: '', auth: 'password' as 'password' | 'key', password: '', privateKey: '', passphrase: '', hostKeyFingerprint: '', region: 'ap-northeast-2', bucket: '', endpoint: '', accessKeyId: '', secretAccessKey: '', sessionToken: '' };

const opt = (v: string) => (v.trim() ? v.trim() : undefined);

export function ConnectionForm({ initialKind, onClose, onCreated }: { initialKind: ConnectionKind; onClose: () => void; onCreated?: (c: Connection) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [kind, setKind] = useState<ConnectionKind>(initialKind);
  const [f, setF] = useState(EMPTY);
  const set = (k: keyof typeof EMPTY) => (e: { currentTarget: { value: string } }) => setF({ ...f, [k]: e.currentTarget.value });
  const create = useMutation({
    mutationFn: (body: Create) => unwrap<Connection>(api.POST('/v1/connections', { body })),
    onSuccess: async (c) => {
      await qc.invalidateQueries({ queryKey: ['connections'] });
      onCreated?.(c);
      onClose();
    },
  });
  const err = create.error;
  // The generated type cannot express the kind-dependent settings (allOf/if), so the body is typed here.
  const body = (): Create =>
    (kind === 'sftp'
      ? {
          name: f.name,
          kind,
          settings: { host: f.host.trim(), port: f.port, username: f.username, hostKeyFingerprint: opt(f.hostKeyFingerprint) },
          credentials: f.auth === 'password' ? { password: f.password } : { privateKey: f.privateKey, passphrase: opt(f.passphrase) },
        }
      : {
          name: f.name,
          kind,
          settings: { region: f.region, bucket: f.bucket, endpoint: opt(f.endpoint) },
          credentials: { accessKeyId: f.accessKeyId, secretAccessKey: f.secretAccessKey, sessionToken: opt(f.sessionToken) },
        }) as unknown as Create;
  const fields = ['/name', '/settings', '/credentials'];
  return (
    <Modal closeButtonProps={{ 'aria-label': t('common:close') }} opened onClose={onClose} title={t('newAccount')} size="lg">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate(body());
        }}
      >
        <Stack>
          <div>
            <Text size="sm" fw={500} id="connection-kind">{t('kind')}</Text>
            <SegmentedControl aria-labelledby="connection-kind" value={kind} onChange={(v) => setKind(v as ConnectionKind)} data={[{ value: 'sftp', label: t('kinds.sftp') }, { value: 's3', label: t('kinds.s3') }]} />
          </div>
          <TextInput label={t('common:name')} value={f.name} onChange={set('name')} error={fieldError(err, '/name')} required data-autofocus />
          {kind === 'sftp' ? (
            <>
              <Group grow align="flex-start">
                <TextInput label={t('host')} value={f.host} onChange={set('host')} error={fieldError(err, '/settings/host')} required />
                <NumberInput label={t('port')} value={f.port} min={1} max={65535} onChange={(v) => setF({ ...f, port: typeof v === 'number' ? v : 22 })} error={fieldError(err, '/settings/port')} maw={120} />
              </Group>
              <TextInput label={t('username')} value={f.username} onChange={set('username')} error={fieldError(err, '/settings/username')} required />
              <TextInput label={t('hostKeyFingerprint')} description={t('hostKeyFingerprintHint')} value={f.hostKeyFingerprint} onChange={set('hostKeyFingerprint')} error={fieldError(err, '/settings/hostKeyFingerprint')} />
              <div>
                <Text size="sm" fw={500} id="sftp-auth">{t('authType')}</Text>
                <SegmentedControl aria-labelledby="sftp-auth" value={f.auth} onChange={(v) => setF({ ...f, auth: v as 'password' | 'key' })} data={[{ value: 'password', label: t('password') }, { value: 'key', label: t('privateKey') }]} />
              </div>
              {f.auth === 'password' ? (
                <PasswordInput label={t('password')} description={t('credentialsHint')} value={f.password} onChange={set('password')} error={fieldError(err, '/credentials/password')} required autoComplete="new-password" />
              ) : (
                <>
                  <Textarea label={t('privateKey')} description={t('credentialsHint')} value={f.privateKey} onChange={set('privateKey')} error={fieldError(err, '/credentials/privateKey')} autosize minRows={4} required styles={{ input: { fontFamily: 'monospace' } }} />
                  <PasswordInput label={t('passphrase')} value={f.passphrase} onChange={set('passphrase')} error={fieldError(err, '/credentials/passphrase')} autoComplete="new-password" />
                </>
              )}
            </>
          ) : (
            <>
              <Group grow align="flex-start">
                <TextInput label={t('bucket')} value={f.bucket} onChange={set('bucket')} error={fieldError(err, '/settings/bucket')} required />
                <TextInput label={t('region')} value={f.region} onChange={set('region')} error={fieldError(err, '/settings/region')} required />
              </Group>
              <TextInput label={t('endpoint')} description={t('endpointHint')} value={f.endpoint} onChange={set('endpoint')} error={fieldError(err, '/settings/endpoint')} />
              <TextInput label={t('accessKeyId')} description={t('credentialsHint')} value={f.accessKeyId} onChange={set('accessKeyId')} error={fieldError(err, '/credentials/accessKeyId')} required autoComplete="off" />
              <PasswordInput label={t('secretAccessKey')} value={f.secretAccessKey} onChange={set('secretAccessKey')} error={fieldError(err, '/credentials/secretAccessKey')} required autoComplete="new-password" />
              <PasswordInput label={t('sessionToken')} value={f.sessionToken} onChange={set('sessionToken')} error={fieldError(err, '/credentials/sessionToken')} autoComplete="new-password" />
            </>
          )}
          {err && !fields.some((p) => fieldError(err, p)) ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={create.isPending}>{t('connect')}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
