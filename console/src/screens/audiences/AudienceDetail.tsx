/**
 * One audience: properties, rule, Evaluate now, size history (members / entered / exited per
 * evaluation, chart and table, polled while one runs), the activations that use it, and insights of
 * the latest successful evaluation (sample with attributes, breakdowns).
 */
import { Anchor, Badge, Code, Group, List, Paper, SimpleGrid, Stack, Text, Title } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { ColumnDef } from '@tanstack/react-table';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate, formatNumber } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { Facts } from '../../ui/Facts';
import { GuardedButton } from '../../ui/Guarded';
import { LabelBadge, useLabels } from '../../ui/labels';
import { ProblemAlert } from '../../ui/Problem';
import { useAudience, useEvaluations } from './api';
import { EVAL_COLOR, StatusBadge } from './AudienceList';
import { EvaluationChart } from './EvaluationChart';
import { InsightsPanel } from './insights/InsightsPanel';
import { ns } from './i18n';
import type { AudienceStatus, Evaluation } from './types';

interface ActivationSummary {
  id: string;
  name: string;
  audienceIds: string[];
}

export function AudienceDetail() {
  const { id = '' } = useParams();
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const audience = useAudience(id);
  const evaluations = useEvaluations(id);
  const labels = useLabels();
  const activations = useQuery({ queryKey: ['activations'], queryFn: () => unwrap<{ items: ActivationSummary[] }>(api.GET('/v1/activations')), select: (d) => d.items.filter((a) => a.audienceIds.includes(id)) });
  const latest = evaluations.data?.[0];
  const succeeded = evaluations.data?.find((e) => e.status === 'success');
  // The audience's size is its last successful evaluation's: refresh it when one finishes.
  useEffect(() => {
    if (latest?.status === 'success' || latest?.status === 'failed') void qc.invalidateQueries({ queryKey: ['audiences', id], exact: true });
  }, [latest?.id, latest?.status, id, qc]);
  const evaluate = useMutation({
    mutationFn: () => unwrap<Evaluation>(api.POST('/v1/audiences/{id}/evaluations', { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['audiences', id, 'evaluations'] }),
  });
  const setStatus = useMutation({
    mutationFn: (status: AudienceStatus) => unwrap(api.PATCH('/v1/audiences/{id}', { params: { path: { id } }, body: { status } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['audiences'] }),
  });
  if (audience.error) return <ProblemAlert error={audience.error} />;
  const a = audience.data;
  if (!a) return <Text size="sm">{t('common:loading')}</Text>;
  const running = latest?.status === 'queued' || latest?.status === 'running';
  const columns: ColumnDef<Evaluation>[] = [
    { accessorKey: 'createdAt', header: t('common:created'), cell: (c) => formatDate(c.getValue<string>()) },
    { accessorKey: 'trigger', header: t('detail.trigger'), cell: (c) => t(`triggers.${c.getValue<string>()}`) },
    { accessorKey: 'status', header: t('common:status'), cell: (c) => <Badge variant="dot" color={EVAL_COLOR[c.getValue<Evaluation['status']>()]}>{t(`evalStatuses.${c.getValue<string>()}`)}</Badge> },
    { id: 'members', accessorFn: (e) => e.counts.members, header: t('detail.members'), cell: (c) => formatNumber(c.getValue<number | null>()) },
    { id: 'entered', accessorFn: (e) => e.counts.entered, header: t('detail.entered'), cell: (c) => formatNumber(c.getValue<number | null>()) },
    { id: 'exited', accessorFn: (e) => e.counts.exited, header: t('detail.exited'), cell: (c) => formatNumber(c.getValue<number | null>()) },
    { accessorKey: 'finishedAt', header: t('detail.finished'), cell: (c) => formatDate(c.getValue<string | null>()) },
    { accessorKey: 'error', header: t('detail.error'), cell: (c) => (c.getValue() ? <Text size="sm" c="red.8">{c.getValue<string>()}</Text> : '') },
  ];
  return (
    <Stack>
      <Anchor component={Link} to="/audiences" size="sm">← {t('detail.back')}</Anchor>
      <Group justify="space-between" align="flex-start">
        <Group gap="sm">
          <Title order={2}>{a.name}</Title>
          <StatusBadge status={a.status} />
        </Group>
        <Group>
          <GuardedButton permission="audiences.write" variant="default" onClick={() => navigate(`/audiences/${id}/edit`)}>{t('detail.edit')}</GuardedButton>
          {a.status === 'draft' && <GuardedButton permission="audiences.write" variant="default" onClick={() => setStatus.mutate('published')}>{t('detail.publish')}</GuardedButton>}
          {a.status !== 'archived' ? (
            <GuardedButton permission="audiences.write" variant="default" onClick={() => setStatus.mutate('archived')}>{t('detail.archive')}</GuardedButton>
          ) : (
            <GuardedButton permission="audiences.write" variant="default" onClick={() => setStatus.mutate('draft')}>{t('detail.toDraft')}</GuardedButton>
          )}
          <GuardedButton permission="audiences.write" onClick={() => evaluate.mutate()} loading={evaluate.isPending || running} disabled={a.status === 'archived'}>
            {t('detail.evaluate')}
          </GuardedButton>
        </Group>
      </Group>
      <ProblemAlert error={evaluate.error ?? setStatus.error ?? evaluations.error} />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Paper withBorder p="md" radius="md">
          <Facts
            items={[
              [t('size'), <Text key="s" fw={700} data-testid="audience-size">{formatNumber(a.size)}</Text>],
              [t('schedule'), a.schedule ? t('dailyAt', { at: a.schedule.dailyAt }) : t('manual')],
              [t('detail.nextEvaluation'), formatDate(a.nextEvaluationAt)],
              [t('detail.labels'), <Group key="l" gap={4}>{a.labels.length ? a.labels.map((l) => <LabelBadge key={l} code={l} catalog={labels.data} />) : '—'}</Group>],
              [t('common:created'), formatDate(a.createdAt)],
              [t('common:updated'), formatDate(a.updatedAt)],
            ]}
          />
          {a.description && <Text size="sm" mt="sm">{a.description}</Text>}
        </Paper>
        <Paper withBorder p="md" radius="md">
          <Text fw={600} mb={4}>{t('detail.rule')}</Text>
          <Code block data-testid="audience-rule">{a.rule.text}</Code>
          <Text fw={600} mt="md" mb={4}>{t('detail.usedBy')}</Text>
          {activations.data?.length ? (
            <List size="sm">
              {activations.data.map((x) => (
                <List.Item key={x.id}>
                  <Anchor component={Link} to={`/activations/${x.id}`}>{x.name}</Anchor>
                </List.Item>
              ))}
            </List>
          ) : (
            <Text size="sm" c="dimmed">{t('detail.notUsed')}</Text>
          )}
        </Paper>
      </SimpleGrid>
      <Paper withBorder p="md" radius="md" component="section" aria-labelledby="history-title">
        <Title order={3} size="h4" id="history-title" mb="sm">{t('detail.history')}</Title>
        <EvaluationChart evaluations={evaluations.data ?? []} />
      </Paper>
      <InsightsPanel source={succeeded ? { audienceId: id, evaluationId: succeeded.id } : null} ruleFields={a.fields} unavailable={succeeded ? undefined : t('insights.notEvaluated')} />
      <Title order={3} size="h4">{t('detail.evaluations')}</Title>
      <DataTable label={t('detail.evaluations')} data={evaluations.data ?? []} columns={columns} searchable={false} />
    </Stack>
  );
}
