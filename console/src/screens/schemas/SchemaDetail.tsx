/**
 * One schema: its class, version and the one-way Profile switch (with a warning to confirm), then
 * two tabs as in Adobe's schema page: Structure (the field tree) and Labels.
 */
import { Anchor, Badge, Button, Group, Stack, Switch, Tabs, Text, Title, Tooltip } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, Route, Routes, useLocation, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { formatDate } from '../../i18n';
import { useCan } from '../../shell/auth';
import { Dialog } from '../../ui/Dialog';
import { ProblemAlert } from '../../ui/Problem';
import { keys, SchemaSummary, useSchemaFields, useSchemas } from './api';
import { FieldTree } from './FieldTree';
import { classKey, ns } from './i18n';
import { LabelsTab } from './LabelsTab';

export function SchemaDetail() {
  const { t } = useTranslation([ns, 'common']);
  const { id = '' } = useParams();
  const navigate = useNavigate();
  const location = useLocation();
  const list = useSchemas();
  const schema = list.data?.find((s) => s.id === id);
  const tab = location.pathname.endsWith('/labels') ? 'labels' : 'structure';
  if (list.error) return <ProblemAlert error={list.error} />;
  if (!list.data) return <Text size="sm">{t('common:loading')}</Text>;
  if (!schema) return <ProblemAlert error={new Error(`Schema ${id} not found`)} />;
  return (
    <Stack>
      <Anchor component={Link} to="/schemas" size="sm">← {t('detail.back')}</Anchor>
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={2}>{schema.title}</Title>
          <Group gap="xs" mt={4}>
            <Badge variant="light" tt="none">{t(classKey(schema.classId), { defaultValue: schema.classId })}</Badge>
            <Text size="sm" c="dimmed">{t('detail.version', { version: schema.version })} · <code>{schema.id}</code></Text>
          </Group>
          {schema.description && <Text size="sm" mt={4}>{schema.description}</Text>}
        </div>
        <ProfileSwitch schema={schema} />
      </Group>
      <Tabs value={tab} onChange={(v) => navigate(v === 'labels' ? `/schemas/${id}/labels` : `/schemas/${id}`)}>
        <Tabs.List>
          <Tabs.Tab value="structure">{t('detail.structure')}</Tabs.Tab>
          <Tabs.Tab value="labels">{t('detail.labels')}</Tabs.Tab>
        </Tabs.List>
      </Tabs>
      <Routes>
        <Route index element={<FieldTree schemaId={id} />} />
        <Route path="labels" element={<LabelsTab schemaId={id} />} />
      </Routes>
    </Stack>
  );
}

/** Adobe's Profile toggle: off → on after a warning; never back. */
function ProfileSwitch({ schema }: { schema: SchemaSummary }) {
  const { t } = useTranslation([ns, 'common']);
  const qc = useQueryClient();
  const can = useCan('schemas.write');
  const fields = useSchemaFields(schema.id);
  const [confirming, setConfirming] = useState(false);
  const hasPrimary = (fields.data ?? []).some((f) => f.identity?.primary);
  const enable = useMutation({
    mutationFn: () => unwrap(api.POST('/v1/schemas/{id}/enable-profile', { params: { path: { id: schema.id } }, body: { enabled: true } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: keys.list });
      setConfirming(false);
    },
  });
  if (schema.profileEnabled) {
    return (
      <Stack gap={4} align="flex-end">
        <Badge color="teal.9" size="lg" tt="none" data-testid="profile-enabled">{t('profileOn')}</Badge>
        {schema.profileEnabledAt && <Text size="xs" c="dimmed">{t('detail.profileEnabledAt', { date: formatDate(schema.profileEnabledAt) })}</Text>}
      </Stack>
    );
  }
  const reason = !can.allowed ? can.reason : fields.data && !hasPrimary ? t('detail.needsPrimary') : undefined;
  return (
    <Stack gap={4} align="flex-end">
      <Tooltip label={reason} disabled={!reason} multiline w={280}>
        <div>
          <Switch
            label={t('profile')}
            labelPosition="left"
            size="md"
            checked={false}
            disabled={reason !== undefined}
            onChange={(e) => e.currentTarget.checked && setConfirming(true)}
            aria-description={reason}
            data-testid="profile-switch"
          />
        </div>
      </Tooltip>
      <Dialog opened={confirming} onClose={() => setConfirming(false)} title={t('detail.confirmTitle')}>
        <Stack>
          <Text size="sm">{t('detail.confirmBody')}</Text>
          <ProblemAlert error={enable.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setConfirming(false)}>{t('common:cancel')}</Button>
            <Button onClick={() => enable.mutate()} loading={enable.isPending}>{t('detail.confirm')}</Button>
          </Group>
        </Stack>
      </Dialog>
    </Stack>
  );
}
