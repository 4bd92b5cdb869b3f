/**
 * + 캠페인 만들기 (name, 디스플레이 / 메시지, for messages the message type and talk channel — fixed
 * once created) and the name-only dialogs of + 광고그룹 만들기 / + 메시지 만들기. Field problems show
 * on their field by pointer.
 */
import { Button, Group, Radio, Select, Stack, Text, TextInput } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiProblem, unwrap } from '../../../api/client';
import { Dialog } from '../../../ui/Dialog';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { CAMPAIGNS_KEY, useTalkChannels } from './api';
import { ns } from './i18n';
import type { Campaign, CampaignType, MessageType } from './types';

function nameMessage(t: (k: string) => string, error: unknown): string | undefined {
  const e = error instanceof ApiProblem ? error.errors.find((x) => x.pointer === '/name') : undefined;
  return e ? (e.rule === 'unique' ? t('form.nameTaken') : e.message) : undefined;
}

export function CreateCampaign({ onClose, onCreated }: { onClose: () => void; onCreated: (c: Campaign) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [type, setType] = useState<CampaignType>('DISPLAY');
  const [messageType, setMessageType] = useState<MessageType>('CHANNEL_MESSAGE');
  const [channel, setChannel] = useState<string | null>(null);
  const channels = useTalkChannels(type === 'MESSAGE');
  const create = useMutation({
    mutationFn: () =>
      unwrap<Campaign>(api.POST('/v1/campaigns', { body: type === 'DISPLAY' ? { name: name.trim(), type } : { name: name.trim(), type, messageType, talkChannelId: channel ?? undefined } })),
    onSuccess: async (c) => {
      await qc.invalidateQueries({ queryKey: CAMPAIGNS_KEY });
      onCreated(c);
    },
  });
  const err = create.error;
  const shown = ['/name', '/talkChannelId', '/messageType'].some((p) => fieldError(err, p));
  return (
    <Dialog opened onClose={onClose} title={t('createTitle')} size="lg">
      <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
        <Stack>
          <TextInput label={t('form.name')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={nameMessage(t, err)} maxLength={100} required data-autofocus />
          <Radio.Group label={t('form.type')} description={t('form.typeHint')} value={type} onChange={(v) => setType(v as CampaignType)}>
            <Group mt={4}>
              <Radio value="DISPLAY" label={t('types.DISPLAY')} />
              <Radio value="MESSAGE" label={t('types.MESSAGE')} />
            </Group>
          </Radio.Group>
          {type === 'MESSAGE' && (
            <>
              <Radio.Group label={t('form.messageType')} value={messageType} onChange={(v) => setMessageType(v as MessageType)} error={fieldError(err, '/messageType')}>
                <Stack gap={6} mt={4}>
                  <Radio value="CHANNEL_MESSAGE" label={t('messageTypes.CHANNEL_MESSAGE')} />
                  <Radio value="DIRECT_FRIENDS" label={t('messageTypes.DIRECT_FRIENDS')} />
                </Stack>
              </Radio.Group>
              {channels.data && channels.data.items.length === 0 ? (
                <Text size="sm">{t('form.noChannels')}</Text>
              ) : (
                <Select
                  label={t('form.channel')}
                  description={t('form.channelHint')}
                  data={(channels.data?.items ?? []).map((c) => ({ value: c.id, label: `${c.name} (${c.searchId})` }))}
                  value={channel}
                  onChange={setChannel}
                  error={fieldError(err, '/talkChannelId')}
                  required
                />
              )}
            </>
          )}
          {err && !shown ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={create.isPending} disabled={!name.trim() || (type === 'MESSAGE' && !channel)}>{t('common:create')}</Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}

/** A dialog that asks for a name and creates something with it (ad group, message). */
export function CreateNamed<T>({ title, label, create, onClose, onCreated }: { title: string; label: string; create: (name: string) => Promise<T>; onClose: () => void; onCreated: (x: T) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const m = useMutation({
    mutationFn: () => create(name.trim()),
    onSuccess: async (x) => {
      await qc.invalidateQueries({ queryKey: CAMPAIGNS_KEY });
      onCreated(x);
    },
  });
  const nameError = nameMessage(t, m.error);
  return (
    <Dialog opened onClose={onClose} title={title}>
      <form onSubmit={(e) => { e.preventDefault(); m.mutate(); }}>
        <Stack>
          <TextInput label={label} value={name} onChange={(e) => setName(e.currentTarget.value)} error={nameError} maxLength={100} required data-autofocus />
          {m.error && !nameError ? <ProblemAlert error={m.error} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={m.isPending} disabled={!name.trim()}>{t('common:create')}</Button>
          </Group>
        </Stack>
      </form>
    </Dialog>
  );
}
