/**
 * Delete after a confirmation. A refusal (409: the resource is used) stays in the dialog with the
 * API's problem and, through `refusal`, the users it names, so the person sees what to remove first.
 */
import { Button, Group, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Dialog } from './Dialog';
import { GuardedButton } from './Guarded';
import { ProblemAlert } from './Problem';

export function ConfirmDelete({
  permission,
  label,
  title,
  confirm,
  onDelete,
  onDeleted,
  refusal,
}: {
  permission: string;
  /** The button's words; also the dialog's title unless `title` is given. */
  label: string;
  title?: string;
  confirm: string;
  onDelete: () => Promise<unknown>;
  onDeleted: () => unknown;
  /** What the refusal names (e.g. the targets using it), from the failed call's error. */
  refusal?: (error: unknown) => ReactNode;
}) {
  const { t } = useTranslation('common');
  const [open, setOpen] = useState(false);
  const del = useMutation({ mutationFn: onDelete, onSuccess: async () => { setOpen(false); await onDeleted(); } });
  return (
    <>
      <GuardedButton permission={permission} color="red.9" variant="outline" onClick={() => { del.reset(); setOpen(true); }}>{label}</GuardedButton>
      <Dialog opened={open} onClose={() => setOpen(false)} title={title ?? label} size="lg">
        <Stack>
          <Text size="sm">{confirm}</Text>
          <ProblemAlert error={del.error} />
          {del.error && refusal ? refusal(del.error) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>{t('cancel')}</Button>
            <Button color="red.9" loading={del.isPending} onClick={() => del.mutate()} data-testid="confirm-delete">{t('delete')}</Button>
          </Group>
        </Stack>
      </Dialog>
    </>
  );
}
