/**
 * Data usage labels as every screen shows them: the catalog from GET /v1/labels, grouped by the
 * categories of Adobe's label picker (Contract, Identity, Sensitive, Partner ecosystem, Custom),
 * with Korean names for the core labels (their codes are fixed; custom labels keep their own names).
 */
import { Badge, Tooltip } from '@mantine/core';
import { useQuery } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { translations } from '../i18n';

/** src/governance/service.ts Label. */
export interface Label {
  code: string;
  category: string;
  friendlyName: string;
  description: string;
  implies: string[];
  core: boolean;
  createdAt?: string;
  updatedAt?: string;
}

export type LabelCategoryKey = 'contract' | 'identity' | 'sensitive' | 'partner' | 'custom';

/** The API's core category names → our keys; every custom label is under 'custom'. */
const CORE_CATEGORIES: Record<string, LabelCategoryKey> = { Contract: 'contract', Identity: 'identity', Sensitive: 'sensitive', 'Partner ecosystem': 'partner' };
export const CATEGORY_ORDER: LabelCategoryKey[] = ['contract', 'identity', 'sensitive', 'partner', 'custom'];

export const labelsNs = translations('labels', {
  ko: {
    category: { contract: '계약 레이블', identity: 'ID 레이블', sensitive: '민감한 레이블', partner: '파트너 에코시스템', custom: '사용자 정의 레이블' },
    name: {
      C1: '집계된 형태로만 내보내기',
      C2: '타사로 내보내기 불가',
      C3: '직접 식별 가능한 데이터와 결합 불가',
      C4: '광고 및 콘텐츠 타기팅 불가',
      C5: '관심 기반 교차 사이트 타기팅 불가',
      C6: '온사이트 광고 타기팅 불가',
      C7: '온사이트 콘텐츠 타기팅 불가',
      C8: '측정 불가',
      C9: '데이터 과학 사용 불가',
      C10: '연결된 ID 활성화 불가',
      C11: '세그먼트 매치 불가',
      C12: '모든 내보내기 불가',
      I1: '직접 식별 가능',
      I2: '간접 식별 가능',
      S1: '정확한 위치 정보',
      S2: '광범위한 지오펜스',
      PSPD: '허용된 민감한 개인 데이터',
      RHD: '규제 대상 건강 데이터',
      THIRD_PARTY: '서드파티',
    },
    description: {
      C1: '개인이나 기기 식별자 없이 집계된 형태로만 내보낼 수 있습니다.',
      C2: '타사로 내보낼 수 없습니다.',
      C3: '직접 식별 가능한 정보와 결합하거나 함께 사용할 수 없습니다.',
      C4: '온사이트·교차 사이트 광고나 콘텐츠 타기팅에 쓸 수 없습니다. C5, C6, C7을 포함합니다.',
      C5: '관심 기반 교차 사이트 광고·콘텐츠 타기팅에 쓸 수 없습니다.',
      C6: '온사이트 광고 타기팅에 쓸 수 없습니다.',
      C7: '온사이트 콘텐츠 타기팅에 쓸 수 없습니다.',
      C8: '자사 웹사이트나 앱의 측정에 쓸 수 없습니다.',
      C9: '데이터 과학 작업에 쓸 수 없습니다.',
      C10: '여러 ID를 연결한 활성화에 쓸 수 없습니다.',
      C11: '세그먼트 매치 파트너와 공유할 수 없습니다.',
      C12: '어떤 방식으로도 내보낼 수 없습니다.',
      I1: '특정인을 식별하거나 연락할 수 있는 데이터입니다(이메일 주소, 전화번호 등).',
      I2: '다른 데이터와 함께 사람이나 기기를 식별할 수 있는 데이터입니다(쿠키 ID, 광고 ID 등).',
      S1: '기기의 정확한 위치를 알 수 있는 위도와 경도입니다.',
      S2: '넓게 정의된 지오펜스 영역의 위치 데이터입니다.',
      PSPD: '현지 법률이 처리를 허용하는 민감한 개인 데이터입니다(명시적 동의 등).',
      RHD: '규제 대상 건강 데이터입니다.',
      THIRD_PARTY: '데이터 공급업체(파트너)가 제공한 데이터입니다. 잠재 고객 데이터에 붙여 정책으로 사용을 관리하세요.',
    },
  },
  en: {
    category: { contract: 'Contract labels', identity: 'Identity labels', sensitive: 'Sensitive labels', partner: 'Partner ecosystem', custom: 'Custom labels' },
    name: {},
    description: {},
  },
});

export function categoryOf(label: Label): LabelCategoryKey {
  return label.core ? (CORE_CATEGORIES[label.category] ?? 'custom') : 'custom';
}

export function useLabels() {
  return useQuery({ queryKey: ['labels'], queryFn: () => unwrap<{ items: Label[] }>(api.GET('/v1/labels')), select: (d) => d.items });
}

/** Display name and description of a label in the current language (core labels translated). */
export function useLabelText() {
  const { t } = useTranslation(labelsNs);
  return {
    name: (l: Label) => (l.core ? t(`name.${l.code}`, { defaultValue: l.friendlyName }) : l.friendlyName),
    description: (l: Label) => (l.core ? t(`description.${l.code}`, { defaultValue: l.description }) : l.description),
    category: (k: LabelCategoryKey) => t(`category.${k}`),
  };
}

/** Labels grouped for pickers and Selects, categories in Adobe's order, empty ones left out. */
export function groupLabels(labels: Label[]): { key: LabelCategoryKey; labels: Label[] }[] {
  return CATEGORY_ORDER.map((key) => ({ key, labels: labels.filter((l) => categoryOf(l) === key) })).filter((g) => g.labels.length > 0);
}

/** A label code as a badge; its name on hover (and for screen readers). */
export function LabelBadge({ code, catalog }: { code: string; catalog?: Label[] }) {
  const text = useLabelText();
  const label = catalog?.find((l) => l.code === code);
  const name = label ? text.name(label) : code;
  return (
    <Tooltip label={name} withArrow>
      <Badge variant="outline" color={code === 'THIRD_PARTY' ? 'grape.9' : 'blue.9'} tt="none" data-label={code} style={{ minWidth: 'max-content' }}>
        {code}
      </Badge>
    </Tooltip>
  );
}
