/**
 * MAT 연동 관리 (Kakao Moment 타겟 관리 > MAT 연동): 연동코드 (+ 연동코드 만들기, 고유코드 with copy, the
 * postback URL per vendor and what it received: /targets/mat/codes/<id>) and MAT 연동 (+ MAT 연동하기,
 * list with 타겟 모수, detail /targets/mat/<id>).
 */
import { Stack } from '@mantine/core';
import { Route, Routes } from 'react-router';
import { LinkCodeDetail } from './LinkCodeDetail';
import { LinkCodeList } from './LinkCodeList';
import { MatLinkDetail } from './MatLinkDetail';
import { MatLinkList } from './MatLinkList';

export default function MatTab() {
  return (
    <Routes>
      <Route
        index
        element={
          <Stack gap="xl">
            <LinkCodeList />
            <MatLinkList />
          </Stack>
        }
      />
      <Route path="codes/:id" element={<LinkCodeDetail />} />
      <Route path=":id" element={<MatLinkDetail />} />
    </Routes>
  );
}
