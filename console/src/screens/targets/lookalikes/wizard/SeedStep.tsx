/**
 * ① SEED 타겟 선택: GET /v1/targets/lookalikes/seeds, by SEED 종류 — 카카오 사용자 (talk channels'
 * friends, ad-response targets; 모수 ≥ 1,000) or 고객파일 (모수 ≥ 2,000). Every candidate is listed;
 * one under its minimum or not counted yet is greyed with its size and the reason, and cannot be chosen.
 */
import { Badge, Loader, Radio, SegmentedControl, Stack, Table, Text } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../../../../api/client';
import { formatNumber } from '../../../../i18n';
import { ProblemAlert } from '../../../../ui/Problem';
import { ns } from '../i18n';
import type { SeedCandidate, SeedType } from '../types';

// Greyed, yet AA on white (gray.7 is 7:1): axe counts opacity against contrast.
const GREY = 'var(--mantine-color-gray-7)';

export function SeedStep({ selected, onSelect }: { selected: SeedCandidate | null; onSelect: (s: SeedCandidate) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const [type, setType] = useState<SeedType>(selected?.type ?? 'CUSTOMER_FILE');
  const seeds = useQuery({
    queryKey: ['targets', 'lookalikes', 'seeds'],
    queryFn: () => unwrap<{ items: SeedCandidate[] }>(api.GET('/v1/targets/lookalikes/seeds')),
    // Seeds still being counted become selectable without leaving the step.
    refetchInterval: (q) => (q.state.data?.items.some((s) => s.population === null) ? 3000 : false),
  });
  const items = (seeds.data?.items ?? []).filter((s) => s.type === type);
  const why = (s: SeedCandidate) => (s.population === null ? t('notReady') : t(`tooSmall.${s.type}`));
  return (
    <Stack gap="sm">
      <Text size="sm">{t('seedIntro')}</Text>
      <SegmentedControl
        aria-label={t('columns.seedType')}
        value={type}
        onChange={(v) => setType(v as SeedType)}
        data={(['KAKAO_USERS', 'CUSTOMER_FILE'] as const).map((v) => ({ value: v, label: t(`seedTypes.${v}`) }))}
        w="fit-content"
      />
      <ProblemAlert error={seeds.error} />
      {seeds.isPending ? (
        <Loader aria-label={t('common:loading')} />
      ) : (
        <Radio.Group value={selected?.type === type ? selected.id : null} onChange={(id) => { const s = items.find((x) => x.id === id); if (s?.selectable) onSelect(s); }} aria-label={t('seedTable', { type: t(`seedTypes.${type}`) })}>
          <Table withTableBorder aria-label={t('seedTable', { type: t(`seedTypes.${type}`) })} data-testid="seeds">
            <Table.Thead>
              <Table.Tr>
                <Table.Th w={60}>{t('choose')}</Table.Th>
                <Table.Th>{t(`seedName.${type}`)}</Table.Th>
                {type === 'KAKAO_USERS' && <Table.Th>{t('seedKind')}</Table.Th>}
                <Table.Th>{t('population')}</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.length === 0 ? (
                <Table.Tr>
                  <Table.Td colSpan={5}><Text size="sm">{t(`noSeeds.${type}`)}</Text></Table.Td>
                </Table.Tr>
              ) : (
                items.map((s) => (
                  <Table.Tr key={s.id} data-seed={s.name} data-selectable={s.selectable} style={s.selectable ? undefined : { color: GREY, background: 'var(--mantine-color-gray-0)' }}>
                    <Table.Td>
                      <Radio value={s.id} disabled={!s.selectable} aria-label={t('chooseSeed', { name: s.name })} aria-description={s.selectable ? undefined : why(s)} />
                    </Table.Td>
                    <Table.Td>{s.name}</Table.Td>
                    {type === 'KAKAO_USERS' && <Table.Td>{t(`seedKinds.${s.kind}`)}</Table.Td>}
                    <Table.Td data-testid="seed-population">{s.population === null ? t('notCounted') : t('people', { n: formatNumber(s.population) })}</Table.Td>
                    <Table.Td>
                      {!s.selectable && (
                        <Stack gap={2}>
                          <Badge variant="outline" color="gray.7" tt="none" w="fit-content">{t('notSelectable')}</Badge>
                          <Text size="xs" c={GREY} data-testid="seed-reason">{why(s)}</Text>
                        </Stack>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))
              )}
            </Table.Tbody>
          </Table>
        </Radio.Group>
      )}
    </Stack>
  );
}
