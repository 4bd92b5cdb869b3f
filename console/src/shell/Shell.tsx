/** The frame of every screen: header (account, role, language, sign out) and the navigation rail. */
import { AppShell, Badge, Burger, Group, NavLink, ScrollArea, SegmentedControl, Text, Title, Button } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { NavLink as RouterLink, useLocation } from 'react-router';
import { useMe, useSignOut } from './auth';
import { NAV } from './nav';

export function Shell({ children }: { children: ReactNode }) {
  const { t, i18n } = useTranslation();
  const me = useMe();
  const signOut = useSignOut();
  const [opened, { toggle }] = useDisclosure();
  const location = useLocation();
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="menu" />
            <Title order={1} size="h4">{t('product')}</Title>
          </Group>
          <Group wrap="nowrap" gap="sm">
            <Text size="sm" data-testid="account-name" truncate maw={220}>{me.adAccount.name}</Text>
            <Badge variant="light" data-testid="role">{t('roleLabel')}: {t(`role.${me.caller.role}`)}</Badge>
            <SegmentedControl
              size="xs"
              aria-label={t('language')}
              value={i18n.resolvedLanguage === 'ko' ? 'ko' : 'en'}
              onChange={(lng) => void i18n.changeLanguage(lng)}
              data={[{ value: 'ko', label: '한국어' }, { value: 'en', label: 'English' }]}
            />
            <Button variant="subtle" size="xs" onClick={signOut}>{t('signIn.signOut')}</Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="main">
        <ScrollArea>
          {NAV.map((group) => (
            <div key={group.key}>
              <Text size="xs" fw={700} c="dimmed" mt="sm" mb={4} px="xs" tt="uppercase">{t(`nav.${group.key}`)}</Text>
              {group.items.map((item) => (
                <NavLink key={item.path} component={RouterLink} to={item.path} label={t(item.label)} active={location.pathname.startsWith(item.path)} variant="filled" />
              ))}
            </div>
          ))}
        </ScrollArea>
      </AppShell.Navbar>
      <AppShell.Main component="main">{children}</AppShell.Main>
    </AppShell>
  );
}
