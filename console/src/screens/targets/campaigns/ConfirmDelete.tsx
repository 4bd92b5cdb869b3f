/** Delete a campaign or ad group after a confirmation; a 409 refusal (a source of an ad-response target) stays in the dialog. */
import { Button, Group, Stack, Text } from '@mantine/core';
import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { Dialog } from '../../../ui/Dialog';
import { GuardedButton } from '../../../ui/Guarded';
import { ProblemAlert } from '../../../ui/Problem';
import { ns } from './i18n';

export function ConfirmDelete({ label, confirm, onDelete, onDeleted }: { label: string; confirm: string; onDelete: () => Promise<unknown>; onDeleted: () => void }) {
  const { t } = useTranslation([ns, 'common']);
  const [open, setOpen] = useState(false);
  const del = useMutation({ mutationFn: onDelete, onSuccess: () => { setOpen(false); onDeleted(); } });
  return (
    <>
      <GuardedButton permission="campaigns.write" color="red.8" variant="outline" onClick={() => { del.reset(); setOpen(true); }}>{label}</GuardedButton>
      <Dialog opened={open} onClose={() => setOpen(false)} title={label} size="lg">
        <Stack>
          <Text size="sm">{confirm}</Text>
          <ProblemAlert error={del.error} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>{t('common:cancel')}</Button>
            <Button color="red.8" loading={del.isPending} onClick={() => del.mutate()} data-testid="confirm-delete">{t('common:delete')}</Button>
          </Group>
        </Stack>
      </Dialog>
    </>
  );
}
