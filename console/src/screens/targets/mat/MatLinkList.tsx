/**
 * MAT 연동: ① + MAT 연동하기 ② 등록일시 (the event's first collection) ③ MAT 연동 ④ 업체 ⑤ 이벤트
 * ⑥ 수집유형 ⑦ 타겟 모수 (120 days); n / 30.
 */
import { Anchor, Button, Group, Stack, Text, Tooltip } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { formatDate } from '../../../i18n';
import { DataTable } from '../../../ui/DataTable';
import { GuardedButton } from '../../../ui/Guarded';
import { Notice } from '../../../ui/Notice';
import { PopulationBadge } from '../../../ui/PopulationBadge';
import { ProblemAlert } from '../../../ui/Problem';
import { TargetListTitle, useLimitReason } from '../../../ui/TargetLimit';
import { useLinkCodes, useMatLinks } from './api';
import { ns } from './i18n';
import { MatLinkDialog } from './MatLinkDialog';
import type { MatLink } from './types';

export function MatLinkList() {
  const { t } = useTranslation([ns, 'common']);
  const links = useMatLinks();
  const codes = useLinkCodes();
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const full = useLimitReason('mat');
  const blocked = full ?? (codes.data?.items.length === 0 ? t('links.noCode') : undefined);
  const columns: ColumnDef<MatLink>[] = [
    { accessorKey: 'registeredAt', header: t('links.columns.registeredAt'), cell: (c) => formatDate(c.getValue<string | null>()) },
    { accessorKey: 'name', header: t('links.columns.name'), cell: (c) => <Anchor component={Link} to={`/targets/mat/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor> },
    { accessorKey: 'vendor', header: t('links.columns.vendor'), cell: (c) => t(`vendors.${c.getValue<string>()}`, { defaultValue: c.row.original.vendorName }) },
    { accessorKey: 'event', header: t('links.columns.event'), cell: (c) => t(`events.${c.getValue<string>()}`) },
    { accessorKey: 'collectionType', header: t('links.columns.collectionType'), cell: (c) => t(`collectionTypes.${c.getValue<string>()}`) },
    { id: 'population', header: t('links.columns.population'), accessorFn: (l) => l.population.count ?? -1, cell: (c) => <PopulationBadge population={c.row.original.population} /> },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <TargetListTitle kind="mat" title={t('links.title')} intro={t('links.registeredHint')} />
        {blocked ? (
          <Tooltip label={blocked} multiline w={280}>
            <Button disabled data-disabled-reason={blocked} aria-description={blocked}>{t('links.create')}</Button>
          </Tooltip>
        ) : (
          <GuardedButton permission="targets.write" onClick={() => { setSaved(null); setOpen(true); }}>{t('links.create')}</GuardedButton>
        )}
      </Group>
      {full && <Notice tone="warning">{full}</Notice>}
      {saved && <Notice tone="success" data-testid="mat-link-saved" withCloseButton onClose={() => setSaved(null)} closeButtonLabel={t('common:close')}>{t('links.saved', { name: saved })}</Notice>}
      <ProblemAlert error={links.error} />
      <DataTable label={t('links.list')} data={links.data?.items ?? []} columns={columns} />
      {open && <MatLinkDialog codes={codes.data?.items ?? []} onClose={() => setOpen(false)} onSaved={(l) => { setOpen(false); setSaved(l.name); }} />}
    </Stack>
  );
}
