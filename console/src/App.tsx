/** Signed out → the sign-in card; signed in → the shell with the screen of the current path. */
import { Center, Loader } from '@mantine/core';
import { Suspense, useState } from 'react';
import { Navigate, Route, Routes } from 'react-router';
import { currentSession } from './session';
import { MeProvider, useMeQuery } from './shell/auth';
import { NAV } from './shell/nav';
import { Shell } from './shell/Shell';
import { SignIn } from './shell/SignIn';

export function App() {
  const [signedIn, setSignedIn] = useState(() => currentSession() !== null);
  const me = useMeQuery(signedIn);
  if (!signedIn || me.isError) return <SignIn onSignedIn={() => { setSignedIn(true); void me.refetch(); }} />;
  if (!me.data) {
    return (
      <Center h="100vh">
        <Loader aria-label="loading" />
      </Center>
    );
  }
  return (
    <MeProvider me={me.data}>
      <Shell>
        <Suspense fallback={<Loader aria-label="loading" />}>
          <Routes>
            {NAV.flatMap((g) => g.items).map(({ path, screen: Screen }) => (
              <Route key={path} path={`${path}/*`} element={<Screen />} />
            ))}
            <Route path="*" element={<Navigate to="/datasets" replace />} />
          </Routes>
        </Suspense>
      </Shell>
    </MeProvider>
  );
}
