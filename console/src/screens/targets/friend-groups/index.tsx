/**
 * 친구그룹 관리 (Kakao Moment 타겟 관리 > 친구그룹): the list with n / 30, the three-step 친구그룹 등록하기
 * popup (채널 선택 → 유형 선택 및 파일 등록 → 그룹 생성), a group's detail (/targets/friend-groups/<id>)
 * and the talk channels with their friends (/targets/friend-groups/channels…).
 */
import { Route, Routes } from 'react-router';
import { ChannelDetail } from './channels/ChannelDetail';
import { ChannelList } from './channels/ChannelList';
import { FriendGroupDetail } from './FriendGroupDetail';
import { FriendGroupList } from './FriendGroupList';

export default function FriendGroupsTab() {
  return (
    <Routes>
      <Route index element={<FriendGroupList />} />
      <Route path="channels" element={<ChannelList />} />
      <Route path="channels/:id" element={<ChannelDetail />} />
      <Route path=":id" element={<FriendGroupDetail />} />
    </Routes>
  );
}
