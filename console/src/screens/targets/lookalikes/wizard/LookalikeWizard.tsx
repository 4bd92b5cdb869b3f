/**
 * + 유사타겟 만들기: ① SEED 타겟 선택 (카카오 사용자 or 고객파일; too small or uncounted seeds listed
 * but not selectable, with why) → ② 생성 완료 (SEED 이름, SEED 모수, editable name, size, 완료).
 * 취소 returns to the list; 이전 returns to step ① keeping the choice.
 */
import { Anchor, Button, Group, Stack, Stepper, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { ns } from '../i18n';
import type { SeedCandidate } from '../types';
import { CompleteStep } from './CompleteStep';
import { SeedStep } from './SeedStep';

export function LookalikeWizard() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const [step, setStep] = useState(0);
  const [seed, setSeed] = useState<SeedCandidate | null>(null);
  const cancel = () => navigate('/targets/lookalikes');
  return (
    <Stack>
      <Anchor component={Link} to="/targets/lookalikes" size="sm">← {t('back')}</Anchor>
      <Title order={3}>{t('create').replace(/^\+\s*/, '')}</Title>
      <Stepper active={step} size="sm" allowNextStepsSelect={false} maw={640}>
        <Stepper.Step label={t('steps.seed')} />
        <Stepper.Step label={t('steps.complete')} />
      </Stepper>
      {step === 0 && (
        <>
          <SeedStep selected={seed} onSelect={setSeed} />
          <Group justify="flex-end">
            <Button variant="default" onClick={cancel}>{t('common:cancel')}</Button>
            <Button onClick={() => setStep(1)} disabled={!seed}>{t('common:next')}</Button>
          </Group>
        </>
      )}
      {step === 1 && seed && <CompleteStep seed={seed} onBack={() => setStep(0)} onCancel={cancel} onCreated={() => navigate('/targets/lookalikes')} />}
    </Stack>
  );
}
