/**
 * The dataflow wizard (Adobe's source workflow): select data → mapping → scheduling → review →
 * create. A refusal of the API sends the person back to the step holding the field it names.
 */
import { Anchor, Button, Group, Stack, Stepper, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, ApiProblem, unwrap } from '../../../api/client';
import { ProblemAlert } from '../../../ui/Problem';
import { ns } from '../i18n';
import type { ConnectionKind, Dataflow } from '../types';
import { Draft, EMPTY_DRAFT, stepOfPointer, toBody } from './draft';
import { StepData } from './StepData';
import { StepMapping } from './StepMapping';
import { StepReview } from './StepReview';
import { StepSchedule } from './StepSchedule';

export function DataflowWizard() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [params] = useSearchParams();
  const kind = (params.get('kind') as ConnectionKind | null) ?? null;
  const [step, setStep] = useState(0);
  const [draft, setDraft] = useState<Draft>({ ...EMPTY_DRAFT, connectionId: params.get('connectionId') });
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const create = useMutation({
    mutationFn: () => unwrap<Dataflow>(api.POST('/v1/dataflows', { body: toBody(draft) })),
    onSuccess: async (flow) => {
      await qc.invalidateQueries({ queryKey: ['dataflows'] });
      void navigate(`/sources/dataflows/${flow.id}`);
    },
    onError: (err) => {
      const pointer = err instanceof ApiProblem ? err.errors[0]?.pointer : undefined;
      if (pointer) setStep(stepOfPointer(pointer));
    },
  });
  const error = create.error;
  const canNext = [
    !!draft.connectionId && !!draft.folder && !!draft.pattern,
    !!draft.datasetId,
    !(draft.frequency === 'minute' && draft.interval < 15),
    !!draft.name.trim(),
  ][step];
  const last = step === 3;
  return (
    <Stack>
      <Anchor component={Link} to="/sources/dataflows" size="sm">← {t('back')}</Anchor>
      <Title order={2}>{t('newDataflow')}</Title>
      <Stepper active={step} onStepClick={(s) => s < step && setStep(s)} size="sm">
        <Stepper.Step label={t('steps.data')}>
          <StepData draft={draft} set={set} error={error} kind={kind} />
        </Stepper.Step>
        <Stepper.Step label={t('steps.mapping')}>
          <StepMapping draft={draft} set={set} error={error} />
        </Stepper.Step>
        <Stepper.Step label={t('steps.schedule')}>
          <StepSchedule draft={draft} set={set} error={error} />
        </Stepper.Step>
        <Stepper.Step label={t('steps.review')}>
          <StepReview draft={draft} set={set} error={error} />
        </Stepper.Step>
      </Stepper>
      <ProblemAlert error={error} />
      <Group justify="space-between">
        <Button variant="default" onClick={() => (step === 0 ? void navigate('/sources/dataflows') : setStep(step - 1))}>{step === 0 ? t('common:cancel') : t('common:back')}</Button>
        {last ? (
          <Button onClick={() => create.mutate()} loading={create.isPending} disabled={!canNext}>{t('finish')}</Button>
        ) : (
          <Button onClick={() => setStep(step + 1)} disabled={!canNext}>{t('common:next')}</Button>
        )}
      </Group>
    </Stack>
  );
}
