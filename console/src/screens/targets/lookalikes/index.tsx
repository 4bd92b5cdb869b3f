/**
 * 유사타겟 관리 (Kakao Moment 타겟 관리 > 유사타겟): the list with n / 30 and 자동 업데이트 switches,
 * + 유사타겟 만들기 (/targets/lookalikes/new: SEED 타겟 선택 → 생성 완료) and a lookalike's detail
 * with its model quality in words.
 */
import { Route, Routes } from 'react-router';
import { LookalikeDetail } from './LookalikeDetail';
import { LookalikeList } from './LookalikeList';
import { LookalikeWizard } from './wizard/LookalikeWizard';

export default function LookalikesTab() {
  return (
    <Routes>
      <Route index element={<LookalikeList />} />
      <Route path="new" element={<LookalikeWizard />} />
      <Route path=":id" element={<LookalikeDetail />} />
    </Routes>
  );
}
