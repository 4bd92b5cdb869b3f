/**
 * Sources (Adobe: Connections → Sources): the catalog (SFTP, Amazon S3), accounts with Test
 * connection, dataflows and their runs, and the dataflow wizard (data → mapping → schedule → review).
 */
import { Badge, Card, Group, SimpleGrid, Stack, Tabs, Text, Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';
import { Navigate, Route, Routes, useLocation, useNavigate } from 'react-router';
import { GuardedButton } from '../../ui/Guarded';
import { Connections } from './Connections';
import { DataflowDetail } from './DataflowDetail';
import { Dataflows } from './Dataflows';
import { ns } from './i18n';
import type { ConnectionKind } from './types';
import { DataflowWizard } from './wizard/Wizard';

export default function SourcesScreen() {
  return (
    <Routes>
      <Route path="dataflows/new" element={<DataflowWizard />} />
      <Route path="dataflows/:id" element={<DataflowDetail />} />
      <Route path=":tab?" element={<SourcesHome />} />
      <Route path="*" element={<Navigate to="/sources" replace />} />
    </Routes>
  );
}

function SourcesHome() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const tab = useLocation().pathname.split('/')[2] || 'catalog';
  return (
    <Stack>
      <div>
        <Title order={2}>{t('title')}</Title>
        <Text size="sm" c="dimmed">{t('intro')}</Text>
      </div>
      <Tabs value={tab} onChange={(v) => void navigate(v === 'catalog' ? '/sources' : `/sources/${v}`)} keepMounted={false}>
        <Tabs.List>
          <Tabs.Tab value="catalog">{t('tabs.catalog')}</Tabs.Tab>
          <Tabs.Tab value="accounts">{t('tabs.accounts')}</Tabs.Tab>
          <Tabs.Tab value="dataflows">{t('tabs.dataflows')}</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="catalog" pt="md"><Catalog /></Tabs.Panel>
        <Tabs.Panel value="accounts" pt="md"><Connections /></Tabs.Panel>
        <Tabs.Panel value="dataflows" pt="md"><Dataflows /></Tabs.Panel>
      </Tabs>
    </Stack>
  );
}

function Catalog() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const kinds: ConnectionKind[] = ['sftp', 's3'];
  return (
    <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
      {kinds.map((k) => (
        <Card key={k} withBorder padding="lg">
          <Stack gap="sm" h="100%" justify="space-between">
            <div>
              <Group justify="space-between">
                <Title order={3} size="h4">{t(`kinds.${k}`)}</Title>
                <Badge variant="default">{t('tabs.catalog')}</Badge>
              </Group>
              <Text size="sm" mt="xs">{t(`catalog.${k}`)}</Text>
            </div>
            <Group>
              <GuardedButton permission="connections.write" size="xs" onClick={() => void navigate(`/sources/accounts?new=${k}`)}>{t('catalog.setUp')}</GuardedButton>
              <GuardedButton permission="connections.write" size="xs" variant="default" onClick={() => void navigate(`/sources/dataflows/new?kind=${k}`)}>{t("catalog.addData")}</GuardedButton>
            </Group>
          </Stack>
        </Card>
      ))}
    </SimpleGrid>
  );
}
