/**
 * 연동코드: ① + 연동코드 만들기 ② 등록일시 ③ 연동코드 (이름; → the code to link) ④ 고유코드 with a copy
 * button; n / 30. Creating shows the new 고유코드 and the postback URL per vendor at once.
 */
import { Anchor, Button, Group, Stack, Text, TextInput, Tooltip } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { api, unwrap } from '../../../api/client';
import { formatDate, formatNumber } from '../../../i18n';
import { CopyField } from '../../../ui/CopyField';
import { DataTable } from '../../../ui/DataTable';
import { Dialog } from '../../../ui/Dialog';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { fieldError, ProblemAlert } from '../../../ui/Problem';
import { CODES_KEY, useLinkCodes } from './api';
import { ns } from './i18n';
import { PostbackUrls } from './PostbackUrls';
import type { LinkCode } from './types';

export function LinkCodeList() {
  const { t } = useTranslation([ns, 'common']);
  const codes = useLinkCodes();
  const [open, setOpen] = useState(false);
  const items = codes.data?.items ?? [];
  const limit = codes.data?.limit;
  const full = limit !== undefined && items.length >= limit ? t('codes.full', { limit: formatNumber(limit) }) : undefined;
  const columns: ColumnDef<LinkCode>[] = [
    { accessorKey: 'createdAt', header: t('codes.columns.createdAt'), cell: (c) => formatDate(c.getValue<string>()) },
    { accessorKey: 'name', header: t('codes.columns.name'), cell: (c) => <Anchor component={Link} to={`/targets/mat/codes/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor> },
    { accessorKey: 'code', header: t('codes.columns.code'), enableSorting: false, cell: (c) => <CopyField value={c.getValue<string>()} label={`${c.row.original.name} ${t('codes.columns.code')}`} /> },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <div>
          <Group gap="xs">
            <Text fw={600}>{t('codes.title')}</Text>
            {limit !== undefined && (
              <Text size="sm" fw={500} data-testid="link-code-limit" title={t('codes.limitLabel', { n: formatNumber(items.length), limit: formatNumber(limit) })}>
                {t('codes.limit', { n: formatNumber(items.length), limit: formatNumber(limit) })}
              </Text>
            )}
          </Group>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        {full ? (
          <Tooltip label={full} multiline w={280}>
            <Button disabled data-disabled-reason={full} aria-description={full}>{t('codes.create')}</Button>
          </Tooltip>
        ) : (
          <GuardedButton permission="mat.write" onClick={() => setOpen(true)}>{t('codes.create')}</GuardedButton>
        )}
      </Group>
      {full && <Notice tone="warning">{full}</Notice>}
      <ProblemAlert error={codes.error} />
      <DataTable label={t('codes.list')} data={items} columns={columns} searchable={false} />
      {open && <CreateLinkCode onClose={() => setOpen(false)} />}
    </Stack>
  );
}

function CreateLinkCode({ onClose }: { onClose: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const create = useMutation({
    mutationFn: () => unwrap<LinkCode>(api.POST('/v1/mat/link-codes', { body: { name: name.trim() } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: CODES_KEY }),
  });
  const made = create.data;
  const err = fieldError(create.error, '/name');
  return (
    <Dialog opened onClose={onClose} title={t('codeForm.title')} size={made ? 'xl' : 'md'}>
      {made ? (
        <Stack>
          <Notice tone="success" data-testid="link-code-created">{t('codeForm.done')}</Notice>
          <Group gap="xs">
            <Text size="sm" fw={500}>{t('codeForm.code')}</Text>
            <CopyField value={made.code} label={t('codeForm.code')} data-testid="new-link-code" />
          </Group>
          <PostbackUrls code={made} />
          <Group justify="flex-end">
            <Button variant="default" component={Link} to={`/targets/mat/codes/${made.id}`} onClick={onClose}>{t('codeForm.goDetail')}</Button>
            <Button onClick={onClose}>{t('common:close')}</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={(e) => { e.preventDefault(); create.mutate(); }}>
          <Stack>
            <TextInput label={t('codeForm.name')} description={t('codeForm.nameHint')} value={name} onChange={(e) => setName(e.currentTarget.value)} error={err} maxLength={50} required data-autofocus />
            {create.error && !err ? <ProblemAlert error={create.error} /> : null}
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
              <Button type="submit" loading={create.isPending} disabled={!name.trim()}>{t('common:save')}</Button>
            </Group>
          </Stack>
        </form>
      )}
    </Dialog>
  );
}
