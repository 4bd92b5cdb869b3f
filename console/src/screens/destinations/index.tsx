/** Destinations: the catalog (filtered to prospects) with Connect, the connected destinations, and a destination's page. */
import { Route, Routes } from 'react-router';
import { DestinationDetail } from './DestinationDetail';
import { DestinationList } from './DestinationList';

export default function DestinationsScreen() {
  return (
    <Routes>
      <Route index element={<DestinationList />} />
      <Route path=":id" element={<DestinationDetail />} />
    </Routes>
  );
}
