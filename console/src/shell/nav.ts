/** The screens in Adobe's order, grouped as in its left rail. Each path loads its screen lazily. */
import { lazy } from 'react';

export interface NavItem {
  path: string;
  label: string;
  screen: ReturnType<typeof lazy>;
}

export const NAV: { key: string; items: NavItem[] }[] = [
  {
    key: 'data',
    items: [
      { path: '/identities', label: 'nav.identities', screen: lazy(() => import('../screens/identities')) },
      { path: '/schemas', label: 'nav.schemas', screen: lazy(() => import('../screens/schemas')) },
      { path: '/datasets', label: 'nav.datasets', screen: lazy(() => import('../screens/datasets')) },
      { path: '/sources', label: 'nav.sources', screen: lazy(() => import('../screens/sources')) },
    ],
  },
  {
    key: 'customers',
    items: [
      { path: '/profiles', label: 'nav.profiles', screen: lazy(() => import('../screens/profiles')) },
      { path: '/audiences', label: 'nav.audiences', screen: lazy(() => import('../screens/audiences')) },
    ],
  },
  {
    key: 'activation',
    items: [
      { path: '/destinations', label: 'nav.destinations', screen: lazy(() => import('../screens/destinations')) },
      { path: '/activations', label: 'nav.activations', screen: lazy(() => import('../screens/activations')) },
    ],
  },
  {
    key: 'firstParty',
    items: [{ path: '/targets', label: 'nav.targets', screen: lazy(() => import('../screens/targets')) }],
  },
  {
    key: 'governance',
    items: [
      { path: '/governance', label: 'nav.policies', screen: lazy(() => import('../screens/governance')) },
      { path: '/audit', label: 'nav.audit', screen: lazy(() => import('../screens/audit')) },
    ],
  },
];
