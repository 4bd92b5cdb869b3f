/**
 * 맞춤타겟 > 내 데이터: every target of the account, of every kind, each with 포함 / 제외. A target
 * that cannot be used yet (준비중, 생성실패 / 등록실패) or not in this ad group (a friend group outside
 * direct messages of its channel) shows why instead of the boxes; problems the API names by
 * pointer show on the target's row. The chosen targets are listed per side with n / 10.
 */
import { Checkbox, CloseButton, Group, Paper, Select, SimpleGrid, Stack, Text } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { DataTable } from '../../../../ui/DataTable';
import { PopulationBadge } from '../../../../ui/PopulationBadge';
import type { TargetKind } from '../../../../ui/TargetLimit';
import { ns } from '../i18n';
import type { TargetBase } from '../types';

export const SIDE_LIMIT = 10;
const KINDS: TargetKind[] = ['ad_response', 'customer_file', 'friend_group', 'pixel', 'mat', 'lookalike'];

export interface Selection {
  include: string[];
  exclude: string[];
}

type Side = keyof Selection;

export function TargetPicker(props: {
  targets: TargetBase[];
  value: Selection;
  onChange: (s: Selection) => void;
  /** Why a target cannot be picked here, or null. */
  blocked: (t: TargetBase) => string | null;
  rowErrors: Map<string, string>;
}) {
  const { t } = useTranslation([ns, 'common']);
  const [kind, setKind] = useState<string>('all');
  const { value, onChange } = props;
  const set = (id: string, side: Side, on: boolean) => {
    const other: Side = side === 'include' ? 'exclude' : 'include';
    const next = { ...value, [side]: on ? [...value[side].filter((x) => x !== id), id] : value[side].filter((x) => x !== id) } as Selection;
    if (on) next[other] = value[other].filter((x) => x !== id);
    onChange(next);
  };
  const shown = kind === 'all' ? props.targets : props.targets.filter((x) => x.kind === kind);
  const columns: ColumnDef<TargetBase>[] = [
    { id: 'kind', header: t('targeting.kind'), accessorFn: (x) => t(`targeting.kinds.${x.kind}`) },
    {
      accessorKey: 'name',
      header: t('targeting.name'),
      cell: (c) => (
        <div>
          <Text size="sm">{c.getValue<string>()}</Text>
          {props.rowErrors.get(c.row.original.id) && <Text size="xs" c="red.8" role="alert">{props.rowErrors.get(c.row.original.id)}</Text>}
        </div>
      ),
    },
    { id: 'population', header: t('targeting.population'), accessorFn: (x) => x.population.count ?? -1, cell: (c) => <PopulationBadge population={c.row.original.population} failedAs={c.row.original.kind === 'customer_file' ? 'registration' : 'creation'} /> },
    {
      id: 'pick',
      header: t('targeting.pick'),
      enableSorting: false,
      cell: (c) => {
        const x = c.row.original;
        const inc = value.include.includes(x.id);
        const exc = value.exclude.includes(x.id);
        const reason = inc || exc ? null : props.blocked(x);
        if (reason) return <Text size="xs" maw={280} data-testid={`blocked-${x.id}`}>{reason}</Text>;
        return (
          <Group gap="md" wrap="nowrap">
            {(['include', 'exclude'] as const).map((side) => {
              const on = side === 'include' ? inc : exc;
              const full = !on && value[side].length >= SIDE_LIMIT;
              return (
                <Checkbox
                  key={side}
                  label={t(`targeting.${side}`)}
                  aria-label={t(`targeting.${side}Of`, { name: x.name })}
                  title={full ? t('targeting.sideFull', { max: SIDE_LIMIT, side: t(`targeting.${side}`) }) : undefined}
                  checked={on}
                  disabled={full}
                  onChange={(e) => set(x.id, side, e.currentTarget.checked)}
                />
              );
            })}
          </Group>
        );
      },
    },
  ];
  const byId = new Map(props.targets.map((x) => [x.id, x]));
  return (
    <Stack gap="sm">
      <Select
        label={t('targeting.kindFilter')}
        data={[{ value: 'all', label: `${t('targeting.allKinds')} (${props.targets.length})` }, ...KINDS.map((k) => ({ value: k, label: `${t(`targeting.kinds.${k}`)} (${props.targets.filter((x) => x.kind === k).length})` }))]}
        value={kind}
        onChange={(v) => setKind(v ?? 'all')}
        allowDeselect={false}
        w={260}
      />
      {props.targets.length === 0 ? <Text size="sm">{t('targeting.noTargets')}</Text> : <DataTable label={t('targeting.table')} data={shown} columns={columns} />}
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        {(['include', 'exclude'] as const).map((side) => (
          <Paper key={side} withBorder p="sm" radius="md" component="section" aria-labelledby={`chosen-${side}`}>
            <Text fw={600} size="sm" id={`chosen-${side}`} data-testid={`chosen-${side}`}>{t(`targeting.${side}d`, { count: value[side].length, max: SIDE_LIMIT })}</Text>
            {value[side].length === 0 ? (
              <Text size="sm">{side === 'include' ? t('targeting.noneIncluded') : t('targeting.noneExcluded')}</Text>
            ) : (
              <Stack gap={2} mt={4}>
                {value[side].map((id) => (
                  <Group key={id} justify="space-between" wrap="nowrap" gap="xs">
                    <Text size="sm">{byId.get(id) ? `${byId.get(id)!.name} (${t(`targeting.kinds.${byId.get(id)!.kind}`)})` : id}</Text>
                    <CloseButton size="sm" aria-label={t('targeting.remove', { name: byId.get(id)?.name ?? id })} onClick={() => set(id, side, false)} />
                  </Group>
                ))}
              </Stack>
            )}
          </Paper>
        ))}
      </SimpleGrid>
    </Stack>
  );
}
