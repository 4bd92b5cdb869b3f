/**
 * Prospect profiles (Adobe: Prospects → Profiles): browse with the Identity namespace column and
 * filters, find by identity, and a profile's attributes, where each came from and its audiences.
 */
import { Route, Routes } from 'react-router';
import { ProfileBrowse } from './ProfileBrowse';
import { ProfileDetail } from './ProfileDetail';

export default function ProfilesScreen() {
  return (
    <Routes>
      <Route index element={<ProfileBrowse />} />
      <Route path=":namespace/:identity" element={<ProfileDetail />} />
    </Routes>
  );
}
