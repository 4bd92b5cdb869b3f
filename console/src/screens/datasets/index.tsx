/** Placeholder until this screen is built (issue 14). */
import { Title } from '@mantine/core';
import { useTranslation } from 'react-i18next';

export default function Screen() {
  const { t } = useTranslation();
  return <Title order={2}>{t('nav.datasets')}</Title>;
}
