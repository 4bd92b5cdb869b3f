/** Sign in with an API key; an organisation-admin key then picks the ad account. */
import { Button, Card, Center, PasswordInput, Select, Stack, Text, Title } from '@mantine/core';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { saveSession } from '../session';
import { ProblemAlert } from '../ui/Problem';
import type { Me } from './auth';

export function SignIn({ onSignedIn }: { onSignedIn: () => void }) {
  const { t } = useTranslation();
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [accounts, setAccounts] = useState<{ id: string; name: string }[] | null>(null);
  const [account, setAccount] = useState<string | null>(null);

  const submit = async () => {
    setBusy(true);
    setError(null);
    try {
      saveSession({ key: key.trim() });
      const me = await unwrap<Me>(api.GET('/v1/accounts/me'));
      if (me.caller.orgWide) {
        const list = await unwrap<{ items: { id: string; name: string }[] }>(api.GET('/v1/accounts'));
        if (list.items.length > 1) {
          setAccounts(list.items);
          setAccount(me.adAccount.id);
          return;
        }
      }
      saveSession({ key: key.trim(), adAccountId: me.adAccount.id });
      onSignedIn();
    } catch (err) {
      sessionStorage.clear();
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Center h="100vh" bg="gray.0">
      <Card withBorder shadow="sm" w={420} p="xl" component="main">
        <Stack>
          <Title order={1} size="h3">{t('product')}</Title>
          {accounts === null ? (
            <form
              onSubmit={(e) => {
                e.preventDefault();
                void submit();
              }}
            >
              <Stack>
                <Text size="sm">{t('signIn.title')}</Text>
                <PasswordInput label={t('signIn.key')} description={t('signIn.keyHint')} value={key} onChange={(e) => setKey(e.currentTarget.value)} autoComplete="off" required data-testid="api-key" />
                <ProblemAlert error={error} />
                <Button type="submit" loading={busy} disabled={!key.trim()}>{t('signIn.submit')}</Button>
              </Stack>
            </form>
          ) : (
            <Stack>
              <Select label={t('signIn.account')} description={t('signIn.accountHint')} data={accounts.map((a) => ({ value: a.id, label: `${a.name} (${a.id})` }))} value={account} onChange={setAccount} searchable data-testid="account-picker" />
              <Button
                disabled={!account}
                onClick={() => {
                  saveSession({ key: key.trim(), adAccountId: account! });
                  onSignedIn();
                }}
              >
                {t('signIn.choose')}
              </Button>
            </Stack>
          )}
        </Stack>
      </Card>
    </Center>
  );
}
