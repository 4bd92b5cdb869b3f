/**
 * 친구 추가·삭제 of a channel: phone numbers or app user ids typed one per line or read from a CSV
 * file (the first column, or the column headed like a friend group file's), sent to POST
 * /v1/talk-channels/{id}/friends (…/remove) 10,000 at a time. The API refuses a request with any
 * invalid value and names each one: they are shown by their place in the list.
 */
import { Button, FileInput, Group, List, Radio, SegmentedControl, Stack, Text, Textarea, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiProblem, unwrap } from '../../../../api/client';
import { formatNumber } from '../../../../i18n';
import { useCan } from '../../../../shell/auth';
import { Notice } from '../../../../ui/Notice';
import { ProblemAlert } from '../../../../ui/Problem';
import { CHANNELS_KEY, GROUPS_KEY } from '../api';
import { ns } from '../i18n';
import { FRIEND_TYPES, FRIENDS_PER_REQUEST, FriendType, TalkChannel } from '../types';

const HEADERS: Record<FriendType, string[]> = {
  PHONE_NUMBER: ['phonenumber', 'phone', '전화번호', 'mobile', '휴대폰번호', '휴대전화번호'],
  APP_USER_ID: ['appuserid', '앱유저아이디'],
};
const squash = (s: string) => s.replace(/^\uFEFF/, '').replace(/^"|"$/g, '').replace(/[\s_-]/g, '').toLowerCase();

/** The values of a CSV: the column headed for the type, else the first; blank lines dropped. */
export function valuesOfCsv(text: string, type: FriendType): string[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = lines[0].split(',').map(squash);
  const at = header.findIndex((h) => HEADERS[type].includes(h));
  const column = at >= 0 ? at : 0;
  const rows = at >= 0 || header.some((h) => [...HEADERS.PHONE_NUMBER, ...HEADERS.APP_USER_ID].includes(h)) ? lines.slice(1) : lines;
  return rows.map((l) => (l.split(',')[column] ?? '').trim().replace(/^"|"$/g, '')).filter((v) => v !== '');
}

async function readText(file: File): Promise<string> {
  const bytes = await file.arrayBuffer();
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return new TextDecoder('euc-kr').decode(bytes); // Korean Excel's CSV
  }
}

type Result = { op: 'add'; received: number; added: number; alreadyFriends: number; friendCount: number } | { op: 'remove'; received: number; removed: number; notFriends: number; friendCount: number };

export function AddFriends({ channel }: { channel: TalkChannel }) {
  const { t } = useTranslation([ns, 'common']);
  const can = useCan('channels.write');
  const qc = useQueryClient();
  const [type, setType] = useState<FriendType>('PHONE_NUMBER');
  const [mode, setMode] = useState<'list' | 'file'>('list');
  const [text, setText] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [fileValues, setFileValues] = useState<string[]>([]);
  const [offset, setOffset] = useState(0);
  const values = mode === 'list' ? text.split(/\r?\n/).map((v) => v.trim()).filter(Boolean) : fileValues;
  const send = useMutation({
    mutationFn: async (op: 'add' | 'remove'): Promise<Result> => {
      const path = op === 'add' ? '/v1/talk-channels/{id}/friends' : '/v1/talk-channels/{id}/friends/remove';
      let total = { received: 0, changed: 0, unchanged: 0, friendCount: channel.friendCount };
      for (let i = 0; i < values.length; i += FRIENDS_PER_REQUEST) {
        setOffset(i);
        const friends = values.slice(i, i + FRIENDS_PER_REQUEST).map((v) => (type === 'PHONE_NUMBER' ? { phoneNumber: v } : { appUserId: v }));
        const r = await unwrap<{ received: number; added?: number; alreadyFriends?: number; removed?: number; notFriends?: number; friendCount: number }>(
          api.POST(path, { params: { path: { id: channel.id } }, body: { friends } }),
        );
        total = { received: total.received + r.received, changed: total.changed + (r.added ?? r.removed ?? 0), unchanged: total.unchanged + (r.alreadyFriends ?? r.notFriends ?? 0), friendCount: r.friendCount };
      }
      return op === 'add'
        ? { op, received: total.received, added: total.changed, alreadyFriends: total.unchanged, friendCount: total.friendCount }
        : { op, received: total.received, removed: total.changed, notFriends: total.unchanged, friendCount: total.friendCount };
    },
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: CHANNELS_KEY });
      await qc.invalidateQueries({ queryKey: GROUPS_KEY });
    },
  });
  // /friends/<i>/phoneNumber → the value's place in the whole list.
  const invalid = send.error instanceof ApiProblem
    ? send.error.errors.flatMap((e) => {
        const m = /^\/friends\/(\d+)/.exec(e.pointer);
        return m ? [{ line: offset + Number(m[1]) + 1, message: e.message }] : [];
      })
    : [];
  // The invalid values are listed by place below; the alert keeps the title and detail only.
  const problem = send.error instanceof ApiProblem && invalid.length ? new ApiProblem(send.error.status, send.error.title, send.error.detail, [], send.error.body) : send.error;
  const r = send.data;
  return (
    <Stack gap="sm" p="md" style={{ border: '1px solid var(--mantine-color-gray-4)', borderRadius: 8 }}>
      <div>
        <Title order={4}>{t('friends.title')}</Title>
        <Text size="xs" c="dimmed">{t('friends.hint')}</Text>
      </div>
      <Group align="flex-end" gap="lg">
        <Radio.Group label={t('friends.type')} value={type} onChange={(v) => { setType(v as FriendType); setFileValues([]); setFile(null); send.reset(); }}>
          <Group mt={4}>{FRIEND_TYPES.map((ft) => <Radio key={ft} value={ft} label={t(`friendTypes.${ft}`)} />)}</Group>
        </Radio.Group>
        <SegmentedControl
          size="xs"
          aria-label={t('friends.title')}
          value={mode}
          onChange={(v) => { setMode(v as 'list' | 'file'); send.reset(); }}
          data={[{ value: 'list', label: t('friends.byList') }, { value: 'file', label: t('friends.byFile') }]}
        />
      </Group>
      {mode === 'list' ? (
        <Textarea label={t('friends.list')} description={t('friends.listHint')} value={text} onChange={(e) => setText(e.currentTarget.value)} autosize minRows={4} maxRows={12} data-testid="friends-list" />
      ) : (
        <FileInput
          label={t('friends.file')}
          description={t('friends.fileHint')}
          accept=".csv,.txt,text/csv,text/plain"
          value={file}
          clearable
          clearButtonProps={{ 'aria-label': t('friends.clearFile') }}
          onChange={async (f) => {
            setFile(f);
            send.reset();
            setFileValues(f ? valuesOfCsv(await readText(f), type) : []);
          }}
          data-testid="friends-file"
        />
      )}
      <Text size="xs" data-testid="friends-read">{t('friends.read', { n: formatNumber(values.length) })}</Text>
      <Group>
        <Button onClick={() => send.mutate('add')} loading={send.isPending && send.variables === 'add'} disabled={!can.allowed || values.length === 0 || send.isPending} title={can.reason}>{t('friends.add')}</Button>
        <Button variant="default" onClick={() => send.mutate('remove')} loading={send.isPending && send.variables === 'remove'} disabled={!can.allowed || values.length === 0 || send.isPending} title={can.reason}>{t('friends.remove')}</Button>
      </Group>
      <ProblemAlert error={problem} />
      {invalid.length > 0 && (
        <List size="sm" data-testid="friends-invalid">
          {invalid.slice(0, 20).map((e) => <List.Item key={e.line}>{t('friends.line', { line: formatNumber(e.line), message: e.message })}</List.Item>)}
        </List>
      )}
      {r && (
        <Notice tone="success" data-testid="friends-result">
          {r.op === 'add'
            ? t('friends.added', { received: formatNumber(r.received), added: formatNumber(r.added), already: formatNumber(r.alreadyFriends), friendCount: formatNumber(r.friendCount) })
            : t('friends.removed', { received: formatNumber(r.received), removed: formatNumber(r.removed), not: formatNumber(r.notFriends), friendCount: formatNumber(r.friendCount) })}
        </Notice>
      )}
    </Stack>
  );
}
