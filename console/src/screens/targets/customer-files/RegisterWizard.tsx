/**
 * 고객파일 등록하기, the seed's three-step popup: ① 고객파일 등록 (템플릿 다운로드, 파일 업로드) →
 * ② 비식별 코드화 확인 (성공 / 실패 / 중복, 실패 파일 다운로드) → ③ 생성 완료 (ADID, 고객파일 이름, 저장).
 * 이전 goes back a step, 취소 closes the popup; an upload is only saved by 저장.
 */
import { Button, Group, Stepper } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../../../ui/Dialog';
import { ns } from './i18n';
import { CompleteStep, DeidentifyStep } from './ResultSteps';
import type { CustomerFile, UploadView } from './types';
import { UploadStep } from './UploadStep';

export function RegisterWizard({ onClose, onSaved }: { onClose: () => void; onSaved: (f: CustomerFile) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const [step, setStep] = useState(0);
  const [upload, setUpload] = useState<UploadView | null>(null);
  const [name, setName] = useState('');
  const usable = !!upload && upload.counts.succeeded > 0;
  return (
    <Dialog opened onClose={onClose} title={t('register').replace(/^\+\s*/, '')} size="xl" closeOnClickOutside={false}>
      <Stepper active={step} size="sm" allowNextStepsSelect={false} mb="md">
        <Stepper.Step label={t('steps.upload')} />
        <Stepper.Step label={t('steps.deidentify')} />
        <Stepper.Step label={t('steps.complete')} />
      </Stepper>
      {step === 0 && (
        <UploadStep
          upload={upload}
          onUploaded={(u) => {
            setUpload(u);
            // A suggestion from the file name; the user names the file in step ③.
            if (!name && u.fileName) setName(u.fileName.replace(/\.(csv|txt)$/i, ''));
          }}
        />
      )}
      {step === 1 && upload && <DeidentifyStep upload={upload} />}
      {step === 2 && upload && <CompleteStep upload={upload} name={name} onName={setName} onSaved={onSaved} onBack={() => setStep(1)} onCancel={onClose} />}
      {step < 2 && (
        <Group justify="flex-end" mt="lg">
          {step > 0 && <Button variant="default" onClick={() => setStep(step - 1)}>{t('common:back')}</Button>}
          <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
          <Button onClick={() => setStep(step + 1)} disabled={step === 0 ? !upload : !usable}>{t('common:next')}</Button>
        </Group>
      )}
    </Dialog>
  );
}
