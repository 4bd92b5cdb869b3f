/**
 * Data governance: policies (list with status, create/edit with the deny-expression builder, enable /
 * disable), marketing actions and labels, as tabs of one screen.
 */
import { Stack, Tabs, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { ns } from './i18n';
import { Labels } from './Labels';
import { MarketingActions } from './MarketingActions';
import { PolicyEditor } from './PolicyEditor';
import { PolicyList } from './PolicyList';

function Tabbed({ children }: { children: React.ReactNode }) {
  const { t } = useTranslation(ns);
  const navigate = useNavigate();
  const tab = useLocation().pathname.split('/')[2] ?? 'policies';
  return (
    <Stack>
      <div>
        <Title order={2}>{t('title')}</Title>
        <Text size="sm" c="dimmed">{t('intro')}</Text>
      </div>
      <Tabs value={tab} onChange={(v) => v && navigate(`/governance/${v}`)}>
        <Tabs.List>
          <Tabs.Tab value="policies">{t('tabs.policies')}</Tabs.Tab>
          <Tabs.Tab value="actions">{t('tabs.actions')}</Tabs.Tab>
          <Tabs.Tab value="labels">{t('tabs.labels')}</Tabs.Tab>
        </Tabs.List>
      </Tabs>
      {children}
    </Stack>
  );
}

export default function GovernanceScreen() {
  return (
    <Routes>
      <Route index element={<Navigate to="policies" replace />} />
      <Route path="policies" element={<Tabbed><PolicyList /></Tabbed>} />
      <Route path="policies/new" element={<PolicyEditor />} />
      <Route path="policies/:id" element={<PolicyEditor />} />
      <Route path="actions" element={<Tabbed><MarketingActions /></Tabbed>} />
      <Route path="labels" element={<Tabbed><Labels /></Tabbed>} />
    </Routes>
  );
}
