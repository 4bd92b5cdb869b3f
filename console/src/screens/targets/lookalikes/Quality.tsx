/**
 * The model's held-out quality in a marketer's words: AUC = the chance that a seed user the model
 * never saw scores above a non-seed user; 0.5 is a coin toss, 1 is perfect. Bands: < 0.6 no better
 * than chance, < 0.7 weak, < 0.8 fair, ≥ 0.8 strong. Recall at size = the share of those held-out
 * seed users that fall inside the lookalike's cut-off.
 */
import { Group, Progress, Stack, Text } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import i18n, { formatNumber, translations } from '../../../i18n';
import { StatusBadge, Tone } from '../../../ui/StatusBadge';
import type { LookalikeQuality } from './types';

const qualityNs = translations('lookalikeQuality', {
  ko: {
    band: { none: '평가 전', chance: '우연 수준', weak: '약함', fair: '보통', strong: '강함' },
    says: {
      none: '첫 생성이 끝나면 모델 품질을 보여 드립니다.',
      chance: '이 모델은 SEED와 비슷한 사용자를 무작위로 고르는 것보다 나을 것이 거의 없습니다. 프로필 속성이나 픽셀·광고 반응 같은 1st-party 데이터를 더 쌓은 뒤 다시 만들어 보세요.',
      weak: 'SEED와 비슷한 사용자를 무작위보다 조금 더 잘 고릅니다. 타겟 크기를 줄이거나 데이터를 더 쌓으면 나아질 수 있습니다.',
      fair: 'SEED와 비슷한 사용자를 어느 정도 잘 골라냅니다.',
      strong: 'SEED와 비슷한 사용자를 잘 골라냅니다. 믿고 쓸 수 있는 유사타겟입니다.',
    },
    auc: '정확도 지표(AUC) {{auc}}: 학습에 쓰지 않고 따로 떼어 둔 SEED 사용자 {{seed}}명과 다른 사용자 {{others}}명 중 한 명씩 골랐을 때, SEED 사용자의 점수가 더 높을 확률입니다. 0.5는 동전 던지기와 같고 1에 가까울수록 정확합니다.',
    recall: '따로 떼어 둔 SEED 사용자의 {{pct}}가 이 유사타겟(상위 {{size}}%) 안에 들어옵니다.',
    scale: 'AUC 0.5(우연) ~ 1(완벽) 중 {{auc}}',
  },
  en: {
    band: { none: 'Not measured', chance: 'No better than chance', weak: 'Weak', fair: 'Fair', strong: 'Strong' },
    says: {
      none: 'The model’s quality shows once the first build is done.',
      chance: 'The model picks seed-like users hardly better than at random. Collect more first-party data (profile attributes, pixel and ad reactions) and build it again.',
      weak: 'The model picks seed-like users a little better than at random. A smaller size or more data may help.',
      fair: 'The model picks seed-like users fairly well.',
      strong: 'The model picks seed-like users well: a lookalike you can rely on.',
    },
    auc: 'AUC {{auc}}: of a held-out seed user and a held-out other user ({{seed}} and {{others}} the model never saw), the chance that the seed user scores higher. 0.5 is a coin toss, 1 is perfect.',
    recall: '{{pct}} of the held-out seed users fall inside this lookalike (top {{size}}%).',
    scale: 'AUC {{auc}} on a scale from 0.5 (chance) to 1 (perfect)',
  },
});

type Band = 'none' | 'chance' | 'weak' | 'fair' | 'strong';
const TONES: Record<Band, Tone> = { none: 'neutral', chance: 'danger', weak: 'warning', fair: 'active', strong: 'success' };

export function bandOf(auc: number | null | undefined): Band {
  if (auc === null || auc === undefined || Number.isNaN(auc)) return 'none';
  if (auc < 0.6) return 'chance';
  if (auc < 0.7) return 'weak';
  if (auc < 0.8) return 'fair';
  return 'strong';
}

const pct = (x: number) => new Intl.NumberFormat(i18n.language, { style: 'percent', maximumFractionDigits: 0 }).format(x);

export function QualityBadge({ quality }: { quality: LookalikeQuality | null }) {
  const { t } = useTranslation(qualityNs);
  const band = bandOf(quality?.auc);
  return <StatusBadge tone={TONES[band]} tt="none" data-testid="quality-band" data-band={band}>{t(`band.${band}`)}</StatusBadge>;
}

export function QualityPanel({ quality, size }: { quality: LookalikeQuality | null; size: number }) {
  const { t } = useTranslation(qualityNs);
  const band = bandOf(quality?.auc);
  const auc = quality?.auc ?? null;
  return (
    <Stack gap={6} data-testid="quality">
      <Group gap="sm">
        <QualityBadge quality={quality} />
        {auc !== null && <Text size="sm" fw={600} data-testid="auc">AUC {auc.toFixed(2)}</Text>}
      </Group>
      <Text size="sm" data-testid="quality-words">{t(`says.${band}`)}</Text>
      {auc !== null && quality && (
        <>
          <Progress value={Math.max(0, Math.min(100, ((auc - 0.5) / 0.5) * 100))} color={band === 'strong' ? 'green.9' : band === 'fair' ? 'blue.8' : band === 'weak' ? 'yellow.6' : 'red.8'} aria-label={t('scale', { auc: auc.toFixed(2) })} w={320} />
          <Text size="xs">{t('auc', { auc: auc.toFixed(2), seed: formatNumber(quality.heldOutSeed), others: formatNumber(quality.heldOutOthers) })}</Text>
          {quality.recallAtSize !== null && <Text size="xs">{t('recall', { pct: pct(quality.recallAtSize), size })}</Text>}
        </>
      )}
    </Stack>
  );
}
