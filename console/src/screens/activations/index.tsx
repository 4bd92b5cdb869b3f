/** Activations: the list, the activation wizard, and an activation's page with its runs. */
import { Route, Routes } from 'react-router';
import { ActivationDetail } from './ActivationDetail';
import { ActivationList } from './ActivationList';
import { Wizard } from './wizard/Wizard';

export default function ActivationsScreen() {
  return (
    <Routes>
      <Route index element={<ActivationList />} />
      <Route path="new" element={<Wizard />} />
      <Route path=":id" element={<ActivationDetail />} />
    </Routes>
  );
}
