/**
 * 친구그룹 등록하기, the seed's three-step popup: ① 채널 선택 → ② 유형 선택 및 파일 등록 (친구 유형, 파일
 * 업로드, 템플릿 다운로드) → ③ 그룹 생성 (등록 현황 with the failed list, 친구그룹 이름, 저장). 이전 goes
 * back a step, 취소 closes the popup; nothing is saved before 저장.
 */
import { Button, Group, Stepper } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../../../ui/Dialog';
import { ChannelStep } from './ChannelStep';
import { CreateStep } from './CreateStep';
import { FileStep } from './FileStep';
import { ns } from './i18n';
import type { FriendGroup, FriendGroupUpload, FriendType } from './types';

export function RegisterWizard({ onClose, onSaved }: { onClose: () => void; onSaved: (g: FriendGroup) => void }) {
  const { t } = useTranslation([ns, 'common']);
  const [step, setStep] = useState(0);
  const [channelId, setChannelId] = useState<string | null>(null);
  const [type, setType] = useState<FriendType>('PHONE_NUMBER');
  const [upload, setUpload] = useState<FriendGroupUpload | null>(null);
  const [name, setName] = useState('');
  // An upload belongs to one channel and type: choosing another means uploading again.
  const current = upload && upload.channel.id === channelId && upload.friendType === type ? upload : null;
  const canNext = step === 0 ? !!channelId : !!current;
  return (
    <Dialog opened onClose={onClose} title={t('registerTitle')} size="xl" closeOnClickOutside={false}>
      <Stepper active={step} size="sm" allowNextStepsSelect={false} mb="md">
        <Stepper.Step label={t('steps.channel')} />
        <Stepper.Step label={t('steps.file')} />
        <Stepper.Step label={t('steps.create')} />
      </Stepper>
      {step === 0 && <ChannelStep value={channelId} onChange={setChannelId} />}
      {step === 1 && channelId && (
        <FileStep
          channelId={channelId}
          type={type}
          onType={setType}
          upload={current}
          onUploaded={(u) => {
            setUpload(u);
            if (!name && u.fileName) setName(u.fileName.replace(/\.(csv|txt)$/i, ''));
          }}
        />
      )}
      {step === 2 && current && <CreateStep upload={current} name={name} onName={setName} onSaved={onSaved} onBack={() => setStep(1)} onCancel={onClose} />}
      {step < 2 && (
        <Group justify="flex-end" mt="lg">
          {step > 0 && <Button variant="default" onClick={() => setStep(step - 1)}>{t('common:back')}</Button>}
          <Button variant="default" onClick={onClose}>{t('common:cancel')}</Button>
          <Button onClick={() => setStep(step + 1)} disabled={!canNext}>{t('common:next')}</Button>
        </Group>
      )}
    </Dialog>
  );
}
