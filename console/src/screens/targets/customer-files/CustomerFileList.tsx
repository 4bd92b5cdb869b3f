/** 고객파일 목록: 등록일시, 고객파일 이름 (→ detail), ADID, 타겟 모수, 타겟 사용 현황; n / 30 and 고객파일 등록하기. */
import { Anchor, Button, Group, Stack, Text, Tooltip } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { formatDate, formatNumber } from '../../../i18n';
import { DataTable } from '../../../ui/DataTable';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { TargetListTitle, useLimitReason } from '../../../ui/TargetLimit';
import { useCustomerFiles } from './api';
import { ns } from './i18n';
import { RegisterWizard } from './RegisterWizard';
import type { CustomerFile } from './types';

export function CustomerFileList() {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const files = useCustomerFiles();
  const full = useLimitReason('customer_file');
  const columns: ColumnDef<CustomerFile>[] = [
    { accessorKey: 'createdAt', header: t('columns.createdAt'), cell: (c) => formatDate(c.getValue<string>()) },
    {
      accessorKey: 'name',
      header: t('columns.name'),
      cell: (c) => <Anchor component={Link} to={`/targets/customer-files/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor>,
    },
    { accessorKey: 'adidCount', header: t('columns.adid'), cell: (c) => formatNumber(c.getValue<number>()) },
    {
      id: 'population',
      header: t('columns.population'),
      accessorFn: (f) => f.population.count ?? -1,
      cell: (c) => <PopulationBadge population={c.row.original.population} failedAs="registration" />,
    },
    {
      id: 'usage',
      header: t('columns.usage'),
      accessorFn: (f) => f.usage.length,
      cell: (c) => <Text size="sm">{c.row.original.usage.length ? t('usageCount', { count: c.row.original.usage.length }) : t('unused')}</Text>,
    },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <TargetListTitle kind="customer_file" title={t('title')} intro={t('intro')} />
        {full ? (
          <Tooltip label={full} multiline w={280}>
            <Button disabled data-disabled-reason={full} aria-description={full}>{t('register')}</Button>
          </Tooltip>
        ) : (
          <GuardedButton permission="targets.write" onClick={() => { setSaved(null); setOpen(true); }}>{t('register')}</GuardedButton>
        )}
      </Group>
      {full && <Notice tone="warning">{full}</Notice>}
      {saved && <Notice tone="success" data-testid="saved" withCloseButton onClose={() => setSaved(null)} closeButtonLabel={t('common:close')}>{t('saved', { name: saved })}</Notice>}
      <ProblemAlert error={files.error} />
      <DataTable label={t('list')} data={files.data?.items ?? []} columns={columns} />
      {open && <RegisterWizard onClose={() => setOpen(false)} onSaved={(f) => { setOpen(false); setSaved(f.name); }} />}
    </Stack>
  );
}
