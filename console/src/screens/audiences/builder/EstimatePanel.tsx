/**
 * The properties rail's estimate (Adobe: estimated size against the total, Refresh estimate,
 * View profiles): POST /v1/audiences/estimate as the rule changes, and its sample of qualifying
 * profiles, each a link to the profile.
 */
import { Anchor, Button, Group, List, Loader, Paper, Stack, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Link } from 'react-router';
import { formatNumber } from '../../../i18n';
import { LabelBadge, useLabels } from '../../../ui/labels';
import { ns } from '../i18n';
import type { Estimate, Namespace } from '../types';

export function EstimatePanel(props: { estimate?: Estimate; failed: boolean; fetching: boolean; waiting: boolean; total?: number; namespaces: Namespace[]; onRefresh: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const labels = useLabels();
  const { estimate } = props;
  const code = (id: string) => props.namespaces.find((n) => n.id === id)?.code ?? id;
  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="estimate-title">
      <Stack gap="sm">
        <Group justify="space-between">
          <Title order={3} size="h5" id="estimate-title">{t('estimate.title')}</Title>
          {props.fetching && <Loader size="xs" aria-label={t('estimate.calculating')} />}
        </Group>
        {props.waiting || !estimate ? (
          <Text size="sm" c="dimmed" data-testid="estimate-waiting">{props.waiting ? t('estimate.waiting') : props.failed ? t('estimate.failed') : t('estimate.calculating')}</Text>
        ) : (
          <>
            <div>
              <Text size="xs" c="dimmed">{t('estimate.size')}</Text>
              <Text fz={32} fw={700} lh={1.2} data-testid="estimate-size" aria-live="polite">
                {formatNumber(estimate.size)}
              </Text>
              {props.total !== undefined && <Text size="sm" data-testid="estimate-total">{t('estimate.ofTotal', { total: formatNumber(props.total) })}</Text>}
              <Text size="xs" c="dimmed">{t('estimate.datasets', { count: estimate.datasets.length })}</Text>
            </div>
            {estimate.labels.length > 0 && (
              <div>
                <Text size="xs" c="dimmed" mb={4}>{t('estimate.labels')}</Text>
                <Group gap={4}>
                  {estimate.labels.map((l) => (
                    <LabelBadge key={l} code={l} catalog={labels.data} />
                  ))}
                </Group>
              </div>
            )}
          </>
        )}
        <Button variant="light" size="xs" onClick={props.onRefresh} disabled={props.waiting}>
          {t('estimate.refresh')}
        </Button>
        {estimate && !props.waiting && (
          <div>
            <Text size="sm" fw={600}>{t('estimate.sample')}</Text>
            <Text size="xs" c="dimmed" mb={4}>{t('estimate.sampleHint')}</Text>
            {!estimate.sample?.length ? (
              <Text size="sm">{t('estimate.noSample')}</Text>
            ) : (
              <List size="sm" spacing={2} data-testid="estimate-sample" aria-label={t('estimate.sample')}>
                {estimate.sample.map((s) => (
                  <List.Item key={`${s.namespaceId}:${s.identity}`}>
                    <Anchor component={Link} to={`/profiles/${encodeURIComponent(code(s.namespaceId))}/${encodeURIComponent(s.identity)}`} size="sm">
                      {s.identity}
                    </Anchor>{' '}
                    <Text span size="xs" c="dimmed">{code(s.namespaceId)}</Text>
                  </List.Item>
                ))}
              </List>
            )}
          </div>
        )}
      </Stack>
    </Paper>
  );
}
