/**
 * 광고반응타겟 관리 (Kakao Moment 타겟 관리 > 광고반응타겟): the list with n / 30, + 광고반응타겟 만들기
 * (1단계 캠페인 불러오기 → 2단계 생성 완료, /targets/ad-response/new) and a target's detail
 * (/targets/ad-response/<id>).
 */
import { Route, Routes } from 'react-router';
import { AdResponseDetail } from './AdResponseDetail';
import { AdResponseList } from './AdResponseList';
import { Wizard } from './wizard/Wizard';

export default function AdResponseTab() {
  return (
    <Routes>
      <Route index element={<AdResponseList />} />
      <Route path="new" element={<Wizard />} />
      <Route path=":id" element={<AdResponseDetail />} />
    </Routes>
  );
}
