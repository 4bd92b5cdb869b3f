/**
 * 고객파일 관리 (Kakao Moment 타겟 관리 > 고객파일): the list with n / 30, the three-step 고객파일 등록하기
 * popup (등록 → 비식별 코드화 확인 → 생성 완료) and a file's detail (/targets/customer-files/<id>).
 */
import { Route, Routes } from 'react-router';
import { CustomerFileDetail } from './CustomerFileDetail';
import { CustomerFileList } from './CustomerFileList';

export default function CustomerFilesTab() {
  return (
    <Routes>
      <Route index element={<CustomerFileList />} />
      <Route path=":id" element={<CustomerFileDetail />} />
    </Routes>
  );
}
