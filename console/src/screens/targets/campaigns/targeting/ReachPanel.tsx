/** 예상 모수: the ad group's estimated reach for the selection as it stands (POST /v1/ad-groups/{id}/reach). */
import { Group, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { formatDate, formatNumber } from '../../../../i18n';
import { ProblemAlert } from '../../../../ui/Problem';
import { ns } from '../i18n';
import type { CampaignType, Reach } from '../types';

export function ReachPanel({ reach, stale, fetching, error, campaignType }: { reach?: Reach; stale: boolean; fetching: boolean; error: unknown; campaignType: CampaignType }) {
  const { t } = useTranslation([ns, 'common']);
  const people = (n: number | null) => (n === null ? '—' : t('reach.people', { n: formatNumber(n) }));
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="reach-title" style={{ position: 'sticky', top: 72 }}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={4} size="h5" id="reach-title">{t('reach.title')}</Title>
          {(fetching || stale) && <Loader size="xs" aria-label={t('reach.calculating')} />}
        </Group>
        <Text size="xs">{t('reach.hint')}</Text>
        {error ? (
          <>
            <Text size="sm">{t('reach.failed')}</Text>
            <ProblemAlert error={error} />
          </>
        ) : !reach ? (
          <Text size="sm">{t('reach.calculating')}</Text>
        ) : (
          <>
            <Text fz={32} fw={700} lh={1.2} data-testid="reach" data-stale={stale || fetching ? 'true' : 'false'} aria-live="polite">
              {people(reach.reach)}
            </Text>
            <Stack gap={4}>
              <Row label={t(`reach.base.${reach.base.kind}`)} value={people(reach.base.people)} testId="reach-base" />
              <Row label={t('reach.included')} value={people(reach.included)} testId="reach-included" />
              <Row label={t('reach.excluded')} value={people(reach.excluded)} testId="reach-excluded" />
            </Stack>
            <Text size="xs">{t('reach.at', { at: formatDate(reach.estimatedAt) })}</Text>
          </>
        )}
        <Text size="xs">{t(`reach.formula.${campaignType}`)}</Text>
      </Stack>
    </Paper>
  );
}

function Row({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <Group justify="space-between" gap="xs">
      <Text size="sm">{label}</Text>
      <Text size="sm" fw={500} data-testid={testId}>{value}</Text>
    </Group>
  );
}
