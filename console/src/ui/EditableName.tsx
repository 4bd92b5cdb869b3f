/**
 * A name with a pencil (✎) that turns into a field, as the Kakao detail pages edit names: 저장 sends
 * the rename; the API's message for /name (e.g. a name already taken) shows on the field, any other
 * problem under it. Hidden pencil when the role may not write.
 */
import { ActionIcon, Button, Group, Text, TextInput } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { translations } from '../i18n';
import { useCan } from '../shell/auth';
import { fieldError, ProblemAlert } from './Problem';

const editNs = translations('editableName', {
  ko: { rename: '{{label}} 수정' },
  en: { rename: 'Edit {{label}}' },
});

export function EditableName({ value, label, permission, maxLength = 100, onSave, 'data-testid': testId }: { value: string; label: string; permission: string; maxLength?: number; onSave: (name: string) => Promise<unknown>; 'data-testid'?: string }) {
  const { t } = useTranslation([editNs, 'common']);
  const can = useCan(permission);
  const [editing, setEditing] = useState<string | null>(null);
  const save = useMutation({ mutationFn: onSave, onSuccess: () => setEditing(null) });
  if (editing === null) {
    return (
      <Group gap={4} wrap="nowrap">
        <Text size="sm" data-testid={testId}>{value}</Text>
        {can.allowed && (
          <ActionIcon variant="subtle" size="sm" aria-label={t('rename', { label })} onClick={() => { save.reset(); setEditing(value); }}>✎</ActionIcon>
        )}
      </Group>
    );
  }
  const err = fieldError(save.error, '/name');
  return (
    <form onSubmit={(e) => { e.preventDefault(); save.mutate(editing.trim()); }}>
      <Group gap="xs" align="flex-start">
        <TextInput size="xs" aria-label={label} value={editing} onChange={(e) => setEditing(e.currentTarget.value)} error={err} maxLength={maxLength} data-autofocus autoFocus />
        <Button size="xs" type="submit" loading={save.isPending} disabled={!editing.trim()}>{t('common:save')}</Button>
        <Button size="xs" variant="default" onClick={() => setEditing(null)}>{t('common:cancel')}</Button>
      </Group>
      {save.error && !err ? <ProblemAlert error={save.error} /> : null}
    </form>
  );
}
