/**
 * Wizard step 5: POST /v1/activations/dry-run — the verdict, the counts that would be exported and
 * excluded, and the file names. A violation lists the violated policies with the deny expression
 * that matched and the lineage, and Save stays disabled; so it does when saving answers 422
 * policy-violation (labels may have changed in between).
 */
import { Accordion, Alert, Button, Group, List, Paper, SimpleGrid, Stack, Text } from '@mantine/core';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, ApiProblem, unwrap } from '../../../api/client';
import { formatNumber } from '../../../i18n';
import { Facts } from '../../../ui/Facts';
import { GuardedButton } from '../../../ui/Guarded';
import { ProblemAlert } from '../../../ui/Problem';
import type { Audience } from '../../audiences/types';
import type { Destination } from '../../destinations/types';
import { ns } from '../i18n';
import { AppliedPolicies, PolicyViolations } from '../PolicyViolations';
import type { Activation, DryRun, Verdict } from '../types';
import { Draft, toBody } from './draft';

function violationOf(err: unknown): Verdict | null {
  if (!(err instanceof ApiProblem) || !Array.isArray(err.body.violations)) return null;
  return { allowed: false, violations: err.body.violations as Verdict['violations'], labels: (err.body.labels as string[]) ?? [], marketingActions: (err.body.marketingActions as string[]) ?? [] };
}

export function ReviewStep({ draft, destination, audiences, onProblem, onBack }: { draft: Draft; destination?: Destination; audiences: Audience[]; onProblem: (err: unknown) => void; onBack: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const body = toBody(draft);
  const dry = useQuery({ queryKey: ['activation-dry-run', body], queryFn: () => unwrap<DryRun>(api.POST('/v1/activations/dry-run', { body })), retry: false, staleTime: 0 });
  const save = useMutation({
    mutationFn: () => unwrap<{ activation: Activation; verdict: Verdict }>(api.POST('/v1/activations', { body })),
    onSuccess: async (r) => {
      await qc.invalidateQueries({ queryKey: ['activations'] });
      navigate(`/activations/${r.activation.id}`);
    },
    onError: onProblem,
  });
  // Field problems (e.g. /mapping/attributes/0/field) are shown on their step as well.
  useEffect(() => {
    if (dry.error) onProblem(dry.error);
  }, [dry.error, onProblem]);
  const refused = violationOf(save.error);
  const verdict = refused ?? dry.data?.verdict;
  const allowed = !!verdict?.allowed && !dry.error;
  const counts = dry.data?.counts;
  const schedule = draft.schedule.type === 'daily' ? t('schedules.daily', { at: draft.schedule.at }) : t(`schedules.${draft.schedule.type}`);
  return (
    <Stack>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Paper withBorder p="md" radius="md">
          <Text fw={600} mb="xs">{t('wizard.summary')}</Text>
          <Facts
            items={[
              [t('wizard.name'), draft.name],
              [t('destination'), destination?.name ?? '—'],
              [t('audiences'), audiences.filter((a) => draft.audienceIds.includes(a.id)).map((a) => a.name).join(', ')],
              [t('schedule'), schedule],
              [t('wizard.identity'), `${draft.identity.namespace} → ${draft.identity.column}`],
              [t('wizard.attributes'), body.mapping.attributes.length ? body.mapping.attributes.map((a) => `${a.field} → ${a.column}`).join(', ') : '—'],
            ]}
          />
        </Paper>
        <Paper withBorder p="md" radius="md" data-testid="dry-run">
          <Text fw={600} mb="xs">{t('wizard.counts')}</Text>
          {dry.isFetching && <Text size="sm">{t('wizard.checking')}</Text>}
          {counts && (
            <Facts
              labelWidth={200}
              items={(['received', 'activated', 'excludedMandatory', 'excludedDuplicates'] as const).map((k) => [t(`counts.${k}`), <Text key={k} span fw={600} data-testid={`dry-${k}`}>{formatNumber(counts[k])}</Text>])}
            />
          )}
          {dry.data && (
            <>
              <Text fw={600} mt="md" mb={4}>{t('wizard.files')}</Text>
              <List size="sm" data-testid="dry-files">
                {dry.data.files.map((f) => (
                  <List.Item key={f}><code style={{ wordBreak: 'break-all' }}>{f}</code></List.Item>
                ))}
              </List>
            </>
          )}
        </Paper>
      </SimpleGrid>
      <ProblemAlert error={dry.error ?? (refused ? null : save.error)} />
      {verdict && (verdict.allowed ? <Alert color="green" styles={{ title: { color: 'var(--mantine-color-text)' } }} title={t('wizard.allowed')} data-testid="verdict-allowed" /> : <PolicyViolations verdict={verdict} />)}
      {verdict && (
        <Accordion variant="contained">
          <Accordion.Item value="applied">
            <Accordion.Control>{t('wizard.appliedPolicies')}</Accordion.Control>
            <Accordion.Panel>
              <AppliedPolicies verdict={verdict} />
            </Accordion.Panel>
          </Accordion.Item>
        </Accordion>
      )}
      <Group justify="space-between" wrap="nowrap">
        <Button variant="default" onClick={onBack}>{t('wizard.back')}</Button>
        <Group wrap="nowrap">
        {verdict && !verdict.allowed && <Text size="sm" c="red.8" data-testid="save-blocked">{t('wizard.saveBlocked')}</Text>}
        <GuardedButton permission="activations.write" disabled={!allowed || dry.isFetching} loading={save.isPending} onClick={() => save.mutate()}>
          {t('wizard.save')}
        </GuardedButton>
        </Group>
      </Group>
    </Stack>
  );
}
