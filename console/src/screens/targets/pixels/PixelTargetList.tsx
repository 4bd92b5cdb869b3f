/** 픽셀 & SDK 타겟: 등록일시, 타겟 이름 (→ 상세), 픽셀 & SDK, 이벤트, 수집기간, 타겟 모수; n / 30 and create. */
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
import { usePixelTargets, useTrackers } from './api';
import { ns } from './i18n';
import { PixelTargetDialog } from './PixelTargetDialog';
import type { PixelTarget } from './types';

export function PixelTargetList() {
  const { t } = useTranslation([ns, 'common']);
  const targets = usePixelTargets();
  const trackers = useTrackers();
  const [open, setOpen] = useState(false);
  const [saved, setSaved] = useState<string | null>(null);
  const full = useLimitReason('pixel');
  const noTracker = trackers.data?.items.length === 0 ? t('targets.noTracker') : undefined;
  const blocked = full ?? noTracker;
  const columns: ColumnDef<PixelTarget>[] = [
    { accessorKey: 'createdAt', header: t('targets.columns.createdAt'), cell: (c) => formatDate(c.getValue<string>()) },
    { accessorKey: 'name', header: t('targets.columns.name'), cell: (c) => <Anchor component={Link} to={`/targets/pixels/targets/${c.row.original.id}`} size="sm">{c.getValue<string>()}</Anchor> },
    { accessorKey: 'trackerName', header: t('targets.columns.tracker'), cell: (c) => <Anchor component={Link} to={`/targets/pixels/${c.row.original.trackId}`} size="sm">{c.getValue<string>()}</Anchor> },
    { id: 'event', accessorFn: (p) => p.event ?? '', header: t('targets.columns.event'), cell: (c) => t(`events.${c.row.original.event ?? 'any'}`) },
    { accessorKey: 'days', header: t('targets.columns.days'), cell: (c) => t('targets.days', { n: c.getValue<number>() }) },
    { id: 'population', header: t('targets.columns.population'), accessorFn: (p) => p.population.count ?? -1, cell: (c) => <PopulationBadge population={c.row.original.population} /> },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <TargetListTitle kind="pixel" title={t('targets.title')} intro={t('targets.intro')} />
        {blocked ? (
          <Tooltip label={blocked} multiline w={280}>
            <Button disabled data-disabled-reason={blocked} aria-description={blocked}>{t('targets.create')}</Button>
          </Tooltip>
        ) : (
          <GuardedButton permission="targets.write" onClick={() => { setSaved(null); setOpen(true); }}>{t('targets.create')}</GuardedButton>
        )}
      </Group>
      {full && <Notice tone="warning">{full}</Notice>}
      {saved && <Notice tone="success" data-testid="pixel-target-saved" withCloseButton onClose={() => setSaved(null)} closeButtonLabel={t('common:close')}>{t('targets.saved', { name: saved })}</Notice>}
      <ProblemAlert error={targets.error} />
      <DataTable label={t('targets.list')} data={targets.data?.items ?? []} columns={columns} />
      {open && <PixelTargetDialog trackers={trackers.data?.items ?? []} onClose={() => setOpen(false)} onSaved={(p) => { setOpen(false); setSaved(p.name); }} />}
    </Stack>
  );
}
