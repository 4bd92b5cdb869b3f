/**
 * Who is signed in: GET /v1/accounts/me (role, ad account, the role's permissions). Controls the
 * role may not use are disabled with the reason (`useCan`), the same table the API enforces.
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, ReactNode, useContext } from 'react';
import { useTranslation } from 'react-i18next';
import { api, unwrap } from '../api/client';
import { clearSession } from '../session';

export interface Me {
  caller: { keyId: string; role: string; organizationId: string; adAccountId: string; orgWide: boolean };
  adAccount: { id: string; name: string; organizationId: string };
  permissions: string[];
}

const MeContext = createContext<Me | null>(null);

export function useMeQuery(enabled: boolean) {
  return useQuery({ queryKey: ['me'], enabled, retry: false, queryFn: () => unwrap<Me>(api.GET('/v1/accounts/me')) });
}

export function MeProvider({ me, children }: { me: Me; children: ReactNode }) {
  return <MeContext.Provider value={me}>{children}</MeContext.Provider>;
}

export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error('useMe outside MeProvider');
  return me;
}

/** Whether the signed-in role holds `permission`, and if not, the sentence to show. */
export function useCan(permission: string): { allowed: boolean; reason?: string } {
  const me = useMe();
  const { t } = useTranslation();
  if (me.permissions.includes(permission)) return { allowed: true };
  return { allowed: false, reason: t('notAllowed', { role: t(`role.${me.caller.role}`), permission }) };
}

export function useSignOut(): () => void {
  const qc = useQueryClient();
  return () => {
    clearSession();
    qc.clear();
    window.location.assign('/');
  };
}
