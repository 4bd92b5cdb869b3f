/**
 * The core policies' default names and descriptions in each console language, by core key
 * (src/governance/core-policies.ts creates them in English in every ad account; a test keeps the
 * English ones equal to what it creates). No imports: the server's tests read it too.
 */
export const CORE_POLICY_TEXT: Record<string, { en: { name: string; description: string }; ko: { name: string; description: string } }> = {
  C2_EXPORT_TO_THIRD_PARTY: {
    en: { name: 'Restrict data export to third parties (C2)', description: 'Data labelled C2 cannot be exported to a third party.' },
    ko: { name: '타사로 데이터 내보내기 제한 (C2)', description: 'C2 레이블이 붙은 데이터는 타사로 내보낼 수 없습니다.' },
  },
  C4_TARGETING: {
    en: { name: 'Restrict ad and content targeting (C4)', description: 'Data labelled C4 cannot be used for any ad or content targeting, on-site or cross-site.' },
    ko: { name: '광고 및 콘텐츠 타기팅 제한 (C4)', description: 'C4 레이블이 붙은 데이터는 온사이트와 교차 사이트의 어떤 광고나 콘텐츠 타기팅에도 쓸 수 없습니다.' },
  },
  C12_ANY_EXPORT: {
    en: { name: 'Restrict all data export (C12)', description: 'Data labelled C12 cannot be exported in any way.' },
    ko: { name: '모든 데이터 내보내기 제한 (C12)', description: 'C12 레이블이 붙은 데이터는 어떤 방식으로도 내보낼 수 없습니다.' },
  },
  THIRD_PARTY_EMAIL_DATA_SCIENCE: {
    en: {
      name: 'Restrict third-party data in email targeting and data science',
      description:
        'Data provided by a third-party data vendor (THIRD_PARTY) cannot be used for email targeting or data science. Disabled by default: enable it when your vendor contracts require it.',
    },
    ko: {
      name: '서드파티 데이터의 이메일 타기팅·데이터 과학 사용 제한',
      description: '서드파티 데이터 공급업체가 제공한 데이터(THIRD_PARTY)는 이메일 타기팅이나 데이터 과학에 쓸 수 없습니다. 기본값은 사용 안 함이며, 공급업체와의 계약에서 요구하면 사용으로 바꾸세요.',
    },
  },
};
