/** Every schema of the account: name, class, field groups, profile state, last change. */
import { Anchor, Badge, Group, Stack, Text, Title } from '@mantine/core';
import type { ColumnDef } from '@tanstack/react-table';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { formatDate } from '../../i18n';
import { DataTable } from '../../ui/DataTable';
import { GuardedButton } from '../../ui/Guarded';
import { ProblemAlert } from '../../ui/Problem';
import { SchemaSummary, useSchemas } from './api';
import { classKey, ns } from './i18n';

export function SchemaList() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const list = useSchemas();
  const columns: ColumnDef<SchemaSummary>[] = [
    {
      accessorKey: 'title',
      header: t('common:name'),
      cell: (c) => (
        <Anchor component={Link} to={`/schemas/${c.row.original.id}`} fw={600}>
          {c.getValue<string>()}
        </Anchor>
      ),
    },
    { accessorKey: 'classId', header: t('class'), cell: (c) => t(classKey(c.getValue<string>()), { defaultValue: c.getValue<string>() }) },
    { id: 'groups', accessorFn: (s) => s.fieldGroupIds.length, header: t('fieldGroups'), cell: (c) => t('fieldGroupCount', { count: c.getValue<number>() }) },
    {
      accessorKey: 'profileEnabled',
      header: t('profile'),
      cell: (c) => (c.getValue() ? <Badge color="teal.9">{t('profileOn')}</Badge> : <Badge variant="default">{t('profileOff')}</Badge>),
    },
    { accessorKey: 'updatedAt', header: t('common:updated'), cell: (c) => formatDate(c.getValue<string>()) },
  ];
  return (
    <Stack>
      <Group justify="space-between" align="flex-start">
        <div>
          <Title order={2}>{t('title')}</Title>
          <Text size="sm" c="dimmed">{t('intro')}</Text>
        </div>
        <GuardedButton permission="schemas.write" onClick={() => navigate('/schemas/new')}>{t('create')}</GuardedButton>
      </Group>
      <ProblemAlert error={list.error} />
      {list.isLoading ? <Text size="sm">{t('common:loading')}</Text> : <DataTable label={t('title')} data={list.data ?? []} columns={columns} />}
    </Stack>
  );
}
