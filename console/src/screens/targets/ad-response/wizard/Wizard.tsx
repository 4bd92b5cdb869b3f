/**
 * + 광고반응타겟 만들기 (/targets/ad-response/new): 1단계 캠페인 불러오기 → 2단계 생성 완료, with 다음 /
 * 이전 / 취소 / 저장 as the seed names them. Cancelling drops the draft; saving opens the new
 * target's detail, where its population appears.
 */
import { Button, Group, Stack, Stepper, Text, Title, Tooltip } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useNavigate } from 'react-router';
import { api, ApiProblem, unwrap } from '../../../../api/client';
import type { components } from '../../../../api/schema';
import { GuardedButton } from '../../../../ui/Guarded';
import { ProblemAlert } from '../../../../ui/Problem';
import { useAdResponseTargets } from '../AdResponseList';
import { combinationProblem, type Draft, emptyDraft, generatedName } from '../draft';
import { ns } from '../i18n';
import type { AdResponseTarget } from '../types';
import { StepCampaign } from './StepCampaign';
import { StepComplete } from './StepComplete';

// The generator reads the combination schema's $defs as a required property; the body is the plain union.
type CreateBody = components['schemas']['ad-response-create'];

/** Problems the second step shows on a field or a source row; the rest go in the alert. */
const SHOWN = [/^\/name$/, /^\/collectionDays$/, /^\/sources\/\d+/];

export function Wizard() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [step, setStep] = useState(0);
  const [draft, setDraft] = useState<Draft>(emptyDraft);
  const existing = useAdResponseTargets();
  const name = draft.name ?? generatedName(t, draft, (existing.data?.items ?? []).map((x) => x.name));
  const save = useMutation({
    mutationFn: () =>
      unwrap<AdResponseTarget>(
        api.POST('/v1/targets/ad-response', {
          body: { name: name.trim(), campaignType: draft.campaignType!, sources: draft.sources.map((s) => s.id), combination: draft.combination as unknown as CreateBody['combination'], collectionDays: draft.collectionDays },
        }),
      ),
    onSuccess: async (created) => {
      await qc.invalidateQueries({ queryKey: ['targets'] });
      navigate(`/targets/ad-response/${created.id}`);
    },
  });
  const cancel = () => navigate('/targets/ad-response');
  const blocker = draft.sources.length === 0 ? t('wizard.needSources') : combinationProblem(draft.combination) ? t(combinationProblem(draft.combination)!) : null;
  const err = save.error;
  const unshown = err instanceof ApiProblem && err.errors.length > 0 && err.errors.every((e) => SHOWN.some((re) => re.test(e.pointer))) ? null : err;
  return (
    <Stack>
      <Title order={3}>{t('wizard.title')}</Title>
      <Stepper active={step} onStepClick={(s) => s < step && setStep(s)} allowNextStepsSelect={false} size="sm">
        <Stepper.Step label={t('wizard.steps.campaign')}>
          <StepCampaign draft={draft} onChange={setDraft} />
        </Stepper.Step>
        <Stepper.Step label={t('wizard.steps.complete')}>
          {step === 1 && <StepComplete draft={draft} name={name} error={err} onChange={setDraft} />}
        </Stepper.Step>
      </Stepper>
      <ProblemAlert error={unshown} />
      <Group justify="space-between">
        <Button variant="default" onClick={cancel}>{t('common:cancel')}</Button>
        {step === 0 ? (
          <Group gap="xs">
            {blocker && <Text size="sm" data-testid="next-blocker">{blocker}</Text>}
            <Tooltip label={blocker} disabled={!blocker}>
              <Button onClick={() => setStep(1)} disabled={blocker !== null} aria-description={blocker ?? undefined}>{t('common:next')}</Button>
            </Tooltip>
          </Group>
        ) : (
          <Group gap="xs">
            <Button variant="default" onClick={() => { save.reset(); setStep(0); }}>{t('common:back')}</Button>
            <GuardedButton permission="targets.write" onClick={() => save.mutate()} loading={save.isPending} disabled={!name.trim()}>{t('common:save')}</GuardedButton>
          </Group>
        )}
      </Group>
    </Stack>
  );
}
