/**
 * Create schema, as in Adobe's schema editor: ① pick the class (searched by name, e.g. "Individual
 * Prospect Profile"), ② add field groups meant for it, ③ name it and mark the primary identity field
 * with its namespace (prospect classes: Partner ID namespaces only). Errors point at their fields.
 */
import { Alert, Anchor, Badge, Button, Checkbox, Group, Paper, Radio, Select, SimpleGrid, Stack, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { GuardedButton } from '../../ui/Guarded';
import { fieldError, ProblemAlert } from '../../ui/Problem';
import { keys, leafCount, SchemaDocument, stringLeaves, useClasses, useFieldGroups, useNamespaces, XdmClass } from './api';
import { classKey, ns } from './i18n';

type Create = components['schemas']['schema-create'];

export function CreateSchema() {
  const { t } = useTranslation([ns, 'common']);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const classes = useClasses();
  const namespaces = useNamespaces();
  const [search, setSearch] = useState('');
  const [classId, setClassId] = useState<string | null>(null);
  const [groupIds, setGroupIds] = useState<string[]>([]);
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [identityField, setIdentityField] = useState<string | null>(null);
  const [namespace, setNamespace] = useState<string | null>(null);
  const groups = useFieldGroups(classId);
  const cls = classes.data?.find((c) => c.id === classId);

  const className = (c: XdmClass) => t(classKey(c.id), { defaultValue: `XDM ${c.title}` });
  const shown = (classes.data ?? []).filter((c) => {
    const q = search.trim().toLowerCase();
    return !q || [c.title, `XDM ${c.title}`, className(c), c.id].some((s) => s.toLowerCase().includes(q));
  });

  // The identity candidates: string leaves of the class and the chosen groups, platform fields left out.
  const candidates = useMemo(() => {
    if (!cls) return [];
    const chosen = (groups.data ?? []).filter((g) => groupIds.includes(g.id));
    const all = [cls.definition, ...chosen.map((g) => g.definition)].flatMap((p) => stringLeaves(p)).filter((f) => !f.system && f.path !== '_id');
    return [...new Map(all.map((f) => [f.path, f])).values()];
  }, [cls, groups.data, groupIds]);
  const nsOptions = (namespaces.data ?? []).filter((n) => (cls?.kind === 'prospect' ? n.type === 'partner_id' : n.type !== 'partner_id'));

  const create = useMutation({
    mutationFn: (body: Create) => unwrap<SchemaDocument>(api.POST('/v1/schemas', { body })),
    onSuccess: async (doc) => {
      await qc.invalidateQueries({ queryKey: keys.list });
      navigate(`/schemas/${doc.id}`);
    },
  });
  const err = create.error;

  const chooseClass = (id: string) => {
    setClassId(id);
    setGroupIds([]);
    const next = classes.data?.find((c) => c.id === id);
    setIdentityField(next?.kind === 'prospect' ? 'partnerID' : null);
    setNamespace(null);
  };

  const submit = () => {
    const body: Create = { title, classId: classId ?? '', fieldGroupIds: groupIds };
    if (description) body.description = description;
    if (identityField) body.identities = [{ fieldPath: identityField, namespace: namespace ?? '', primary: true }];
    create.mutate(body);
  };

  return (
    <Stack maw={960}>
      <Anchor component={Link} to="/schemas" size="sm">← {t('detail.back')}</Anchor>
      <Title order={2}>{t('create')}</Title>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <Stack>
          <Paper withBorder p="md">
            <Title order={3} size="h4">{t('form.step1')}</Title>
            <Text size="sm" c="dimmed" mb="sm">{t('form.step1Hint')}</Text>
            <TextInput label={t('form.classSearch')} placeholder={t('form.classSearchPlaceholder')} value={search} onChange={(e) => setSearch(e.currentTarget.value)} mb="sm" maw={420} />
            <ProblemAlert error={classes.error} />
            <Radio.Group value={classId} onChange={chooseClass} label={t('class')} error={fieldError(err, '/classId')}>
              <SimpleGrid cols={{ base: 1, md: 2 }} mt="xs">
                {shown.map((c) => (
                  <Radio.Card key={c.id} value={c.id} p="md" radius="md" data-testid={`class-${c.id}`}>
                    <Group wrap="nowrap" align="flex-start">
                      <Radio.Indicator />
                      <div>
                        <Group gap="xs">
                          <Text fw={600}>{className(c)}</Text>
                          <Badge variant="light" size="sm">{t(`kind.${c.kind}`)}</Badge>
                        </Group>
                        <Text size="xs" c="dimmed"><code>{c.id}</code> · {t('form.fieldsCount', { count: c.fields.length })}</Text>
                        <Text size="sm" mt={4}>{t(classKey(c.id, 'classDesc'), { defaultValue: c.description })}</Text>
                      </div>
                    </Group>
                  </Radio.Card>
                ))}
              </SimpleGrid>
            </Radio.Group>
            {classes.data && shown.length === 0 && <Text size="sm">{t('form.noClass')}</Text>}
          </Paper>

          <Paper withBorder p="md">
            <Title order={3} size="h4">{t('form.step2')}</Title>
            <Text size="sm" c="dimmed" mb="sm">{t('form.step2Hint')}</Text>
            {!classId ? (
              <Text size="sm">{t('form.chooseClassFirst')}</Text>
            ) : (
              <Checkbox.Group value={groupIds} onChange={setGroupIds} label={t('fieldGroups')} error={fieldError(err, '/fieldGroupIds')}>
                <SimpleGrid cols={{ base: 1, md: 2 }} mt="xs">
                  {(groups.data ?? []).map((g) => (
                    <Checkbox.Card key={g.id} value={g.id} p="sm" radius="md">
                      <Group wrap="nowrap" align="flex-start">
                        <Checkbox.Indicator />
                        <div>
                          <Group gap="xs">
                            <Text fw={600} size="sm">{g.title}</Text>
                            <Badge variant="default" size="xs">{g.standard ? t('form.standardGroup') : t('form.customGroup')}</Badge>
                          </Group>
                          <Text size="xs" c="dimmed">{t('form.fieldsCount', { count: leafCount(g.definition) })}</Text>
                          {g.description && <Text size="xs">{g.description}</Text>}
                        </div>
                      </Group>
                    </Checkbox.Card>
                  ))}
                </SimpleGrid>
              </Checkbox.Group>
            )}
          </Paper>

          <Paper withBorder p="md">
            <Title order={3} size="h4" mb="sm">{t('form.step3')}</Title>
            <Stack>
              <TextInput label={t('form.displayName')} value={title} onChange={(e) => setTitle(e.currentTarget.value)} error={fieldError(err, '/title')} required maw={520} />
              <Textarea label={t('form.description')} value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(err, '/description')} maw={520} />
              <Group align="flex-start" grow maw={720}>
                <Select
                  label={t('form.primaryField')}
                  description={t('form.primaryFieldHint')}
                  placeholder={t('form.noIdentity')}
                  data={candidates.map((f) => ({ value: f.path, label: f.title ? `${f.path} (${f.title})` : f.path }))}
                  value={identityField}
                  onChange={setIdentityField}
                  searchable
                  clearable
                  disabled={!cls}
                  error={fieldError(err, '/identities/0/fieldPath') ?? fieldError(err, '/identities/0/primary')}
                />
                <Select
                  label={t('form.namespace')}
                  description={cls?.kind === 'prospect' ? t('form.namespaceProspectHint') : t('form.namespaceHint')}
                  data={nsOptions.map((n) => ({ value: n.code, label: `${n.name} (${n.code})` }))}
                  value={namespace}
                  onChange={setNamespace}
                  searchable
                  disabled={!cls || !identityField}
                  required={identityField !== null}
                  error={fieldError(err, '/identities/0/namespace') ?? fieldError(err, '/identities')}
                />
              </Group>
              {cls?.kind === 'prospect' && namespaces.data && nsOptions.length === 0 && (
                <Alert color="orange.9" title={t('form.namespace')}>
                  {t('form.noPartnerNamespace')} <Anchor component={Link} to="/identities">{t('common:nav.identities')}</Anchor>
                </Alert>
              )}
            </Stack>
          </Paper>

          {err && !fieldError(err, '/title') && !fieldError(err, '/classId') && !fieldError(err, '/identities') && !fieldError(err, '/fieldGroupIds') ? <ProblemAlert error={err} /> : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => navigate('/schemas')}>{t('common:cancel')}</Button>
            <GuardedButton permission="schemas.write" type="submit" loading={create.isPending}>{t('form.submit')}</GuardedButton>
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
