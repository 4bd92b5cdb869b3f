/**
 * 픽셀 & SDK 연동 관리 (Kakao Moment 타겟 관리 > 픽셀 & SDK): the trackers this ad account holds a right
 * on (타겟모수, 수집현황 live, track_id, 권한 삭제) with 권한 추가하기; a tracker's page
 * (/targets/pixels/<trackId>: 이벤트 목록, install code); pixel & SDK targets (/targets/pixels/targets/<id>).
 */
import { Stack } from '@mantine/core';
import { Route, Routes } from 'react-router';
import { PixelTargetDetail } from './PixelTargetDetail';
import { PixelTargetList } from './PixelTargetList';
import { TrackerDetail } from './TrackerDetail';
import { TrackerList } from './TrackerList';

export default function PixelsTab() {
  return (
    <Routes>
      <Route
        index
        element={
          <Stack gap="xl">
            <TrackerList />
            <PixelTargetList />
          </Stack>
        }
      />
      <Route path="targets/:id" element={<PixelTargetDetail />} />
      <Route path=":trackId" element={<TrackerDetail />} />
    </Routes>
  );
}
