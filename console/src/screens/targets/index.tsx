/**
 * 광고계정 > 타겟 관리 (Kakao Moment): a tab per kind of first-party target, in the seed's order, plus
 * the campaigns and ad groups that use them. Each tab is its own folder and loads lazily; the URL
 * keeps the tab (/targets/<tab>/…), so a target's detail is a link.
 */
import { Loader, Tabs, Title } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { translations } from '../../i18n';

const ns = translations('targets', {
  ko: { title: '타겟 관리', tabs: { 'ad-response': '광고반응타겟', 'customer-files': '고객파일', 'friend-groups': '친구그룹', pixels: '픽셀 & SDK', mat: 'MAT 연동', lookalikes: '유사타겟', campaigns: '캠페인' } },
  en: { title: 'Target management', tabs: { 'ad-response': 'Ad-response targets', 'customer-files': 'Customer files', 'friend-groups': 'Friend groups', pixels: 'Pixel & SDK', mat: 'MAT', lookalikes: 'Lookalikes', campaigns: 'Campaigns' } },
});

const TABS = {
  'ad-response': lazy(() => import('./ad-response')),
  'customer-files': lazy(() => import('./customer-files')),
  'friend-groups': lazy(() => import('./friend-groups')),
  pixels: lazy(() => import('./pixels')),
  mat: lazy(() => import('./mat')),
  lookalikes: lazy(() => import('./lookalikes')),
  campaigns: lazy(() => import('./campaigns')),
} as const;
type Tab = keyof typeof TABS;

export default function TargetsPage() {
  const { t } = useTranslation(ns);
  const location = useLocation();
  const navigate = useNavigate();
  const current = (Object.keys(TABS) as Tab[]).find((k) => location.pathname.startsWith(`/targets/${k}`)) ?? 'ad-response';
  return (
    <>
      <Title order={2} mb="sm">{t('title')}</Title>
      <Tabs value={current} onChange={(v) => v && navigate(`/targets/${v}`)} keepMounted={false}>
        <Tabs.List mb="md">
          {(Object.keys(TABS) as Tab[]).map((k) => (
            <Tabs.Tab key={k} value={k}>{t(`tabs.${k}`)}</Tabs.Tab>
          ))}
        </Tabs.List>
        {(Object.keys(TABS) as Tab[]).map((k) => {
          const Screen = TABS[k];
          return (
            <Tabs.Panel key={k} value={k}>
              <Suspense fallback={<Loader aria-label="loading" />}>
                <Routes>
                  <Route path={`${k}/*`} element={<Screen />} />
                  <Route path="*" element={<Navigate to={`/targets/${k}`} replace />} />
                </Routes>
              </Suspense>
            </Tabs.Panel>
          );
        })}
      </Tabs>
    </>
  );
}
