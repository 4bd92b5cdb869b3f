/**
 * Marketing actions as screens show them: GET /v1/marketing-actions, the ten core actions under
 * Adobe's Korean names (custom actions keep the name they were given).
 */
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { translations } from '../i18n';

/** src/governance/service.ts MarketingAction. */
export interface MarketingAction {
  name: string;
  displayName: string;
  description: string;
  core: boolean;
  createdAt?: string;
  updatedAt?: string;
}

export const marketingActionsNs = translations('marketingActions', {
  ko: {
    name: {
      analytics: '분석',
      combineData: '직접 식별 가능한 데이터와 결합',
      crossSiteTargeting: '교차 사이트 타기팅',
      dataScience: '데이터 과학',
      emailTargeting: '이메일 타기팅',
      exportToThirdParty: '타사로 내보내기',
      onsiteAdvertising: '온사이트 광고',
      onsitePersonalization: '온사이트 개인화',
      segmentMatch: '세그먼트 매치',
      singleIdentityPersonalization: '단일 ID 개인화',
    },
    description: {
      analytics: '사이트와 앱 이용을 측정·분석·보고하는 데 데이터를 사용합니다.',
      combineData: '직접 식별 가능한(I1) 데이터와 결합합니다.',
      crossSiteTargeting: '소유하지 않은 사이트와 앱에서 광고나 콘텐츠를 타기팅합니다.',
      dataScience: '모델 학습, 예측 등 데이터 과학 작업에 사용합니다.',
      emailTargeting: '이메일 캠페인을 타기팅합니다.',
      exportToThirdParty: '대상이나 파트너 파일 전달 등 조직 밖으로 데이터를 내보냅니다.',
      onsiteAdvertising: '자사 사이트와 앱에 보여 줄 광고를 고릅니다.',
      onsitePersonalization: '자사 사이트와 앱의 콘텐츠를 개인화합니다.',
      segmentMatch: '세그먼트 매치 파트너와 대상자를 공유합니다.',
      singleIdentityPersonalization: '다른 ID와 연결하지 않고 하나의 ID에 대해 개인화합니다.',
    },
  },
  en: { name: {}, description: {} },
});

export function useMarketingActions() {
  return useQuery({ queryKey: ['marketing-actions'], queryFn: () => unwrap<{ items: MarketingAction[] }>(api.GET('/v1/marketing-actions')), select: (d) => d.items });
}

export function useMarketingActionText() {
  const { t } = useTranslation(marketingActionsNs);
  return {
    name: (a: MarketingAction) => (a.core ? t(`name.${a.name}`, { defaultValue: a.displayName }) : a.displayName || a.name),
    description: (a: MarketingAction) => (a.core ? t(`description.${a.name}`, { defaultValue: a.description }) : a.description),
  };
}
