/** Mantine's Modal with a named close button (axe: buttons must have discernible text). */
import { Modal, ModalProps } from '@mantine/core';
import { useTranslation } from 'react-i18next';

export function Dialog(props: ModalProps) {
  const { t } = useTranslation();
  return <Modal closeButtonProps={{ 'aria-label': t('close') }} {...props} />;
}
