/**
 * Identities: every namespace of the account with its type (Partner ID included); standard ones are
 * read-only; Create identity namespace asks for display name, symbol, type and description (symbol
 * and type cannot change later, as in Adobe).
 */
import { Badge, Button, Group, Modal, Select, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { formatDate, translations } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { fieldError, ProblemAlert } from '../../ui/Problem';

const ns = translations('identities', {
  ko: {
    title: 'ID 네임스페이스',
    intro: '프로필을 식별하는 ID의 종류입니다. 데이터 공급자의 파트너 ID는 "파트너 ID" 유형으로 만드세요.',
    create: 'ID 네임스페이스 만들기',
    code: 'ID 기호',
    codeHint: '영문, 숫자, _ . - 로 64자까지. 저장 후 바꿀 수 없습니다.',
    type: 'ID 유형',
    typeHint: '값의 정규화 방식과 프로필 연결 여부를 정합니다. 저장 후 바꿀 수 없습니다.',
    description: '설명',
    standard: '표준',
    custom: '사용자 정의',
    stitchable: '프로필 연결',
    notStitchable: '연결 안 함',
    types: { cookie: '쿠키 ID', cross_device: '교차 기기 ID', device: '기기 ID', email: '이메일', phone: '전화번호', non_people: '비개인', partner_id: '파트너 ID' },
  },
  en: {
    title: 'Identity namespaces',
    intro: 'The kinds of identifier profiles are known by. Make a data vendor’s partner id a namespace of type Partner ID.',
    create: 'Create identity namespace',
    code: 'Identity symbol',
    codeHint: 'Letters, digits, _ . - up to 64. Cannot change once saved.',
    type: 'Identity type',
    typeHint: 'Decides how values are normalised and whether they stitch profiles. Cannot change once saved.',
    description: 'Description',
    standard: 'Standard',
    custom: 'Custom',
    stitchable: 'Stitches profiles',
    notStitchable: 'Never stitched',
    types: { cookie: 'Cookie ID', cross_device: 'Cross-device ID', device: 'Device ID', email: 'Email', phone: 'Phone', non_people: 'Non-people', partner_id: 'Partner ID' },
  },
});

type Namespace = { id: string; name: string; code: string; type: string; description: string; standard: boolean; stitchable: boolean; createdAt: string };
type Create = components['schemas']['namespace-create'];
const TYPES: Create['type'][] = ['partner_id', 'email', 'phone', 'device', 'cookie', 'cross_device', 'non_people'];

export default function IdentitiesPage() {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState(false);
  const list = useQuery({ queryKey: ['namespaces'], queryFn: () => unwrap<{ items: Namespace[] }>(api.GET('/v1/namespaces')) });
  const columns: ColumnDef<Namespace>[] = [
    { accessorKey: 'name', header: t('common:name') },
    { accessorKey: 'code', header: t('code'), cell: (c) => <code>{c.getValue<string>()}</code> },
    { accessorKey: 'type', header: t('type'), cell: (c) => <Badge variant={c.getValue() === 'partner_id' ? 'filled' : 'light'}>{t(`types.${c.getValue<string>()}`)}</Badge> },
    { accessorKey: 'standard', header: '', cell: (c) => <Text size="sm" c="dimmed">{c.getValue() ? t('standard') : t('custom')}</Text> },
    { accessorKey: 'stitchable', header: t('stitchable'), cell: (c) => (c.getValue() ? t('stitchable') : t('notStitchable')) },
    { accessorKey: 'createdAt', header: t('common:created'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  return (
    <Stack>
      <Group justify="space-between">
        <div>
          <Title order={2}>{t('title')}</Title>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        <GuardedButton permission="namespaces.write" onClick={() => setOpen(true)}>{t('create')}</GuardedButton>
      </Group>
      <ProblemAlert error={list.error} />
      <DataTable label={t('title')} data={list.data?.items ?? []} columns={columns} />
      <CreateNamespace opened={open} onClose={() => setOpen(false)} />
    </Stack>
  );
}

function CreateNamespace({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [form, setForm] = useState<Create>({ name: '', code: '', type: 'partner_id', description: '' });
  const create = useMutation({
    mutationFn: (body: Create) => unwrap(api.POST('/v1/namespaces', { body })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['namespaces'] });
      setForm({ name: '', code: '', type: 'partner_id', description: '' });
      create.reset();
      onClose();
    },
  });
  const err = create.error;
  return (
    <Modal opened={opened} onClose={onClose} title={t('create')}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          create.mutate({ ...form, description: form.description || undefined } as Create);
        }}
      >
        <Stack>
          <TextInput label={t('common:name')} value={form.name} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} error={fieldError(err, '/name')} required data-autofocus />
          <TextInput label={t('code')} description={t('codeHint')} value={form.code} onChange={(e) => setForm({ ...form, code: e.currentTarget.value })} error={fieldError(err, '/code')} required />
          <Select label={t('type')} description={t('typeHint')} data={TYPES.map((v) => ({ value: v, label: t(`types.${v}`) }))} value={form.type} onChange={(v) => v && setForm({ ...form, type: v as Create['type'] })} error={fieldError(err, '/type')} allowDeselect={false} />
          <Textarea label={t('description')} value={form.description ?? ''} onChange={(e) => setForm({ ...form, description: e.currentTarget.value })} error={fieldError(err, '/description')} />
          {err && !fieldError(err, '/name') && !fieldError(err, '/code') ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
            <Button type="submit" loading={create.isPending}>{t('common:create')}</Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}
