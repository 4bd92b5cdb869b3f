/**
 * 캠페인 (as far as first-party targeting needs them): the campaign list with + 캠페인 만들기, a
 * campaign's ad groups (/targets/campaigns/<id>), and an ad group (/targets/campaigns/ad-groups/<id>,
 * where every target's 사용 현황 links) with its messages and 타게팅 > 맞춤타겟 > 내 데이터.
 */
import { Route, Routes } from 'react-router';
import { AdGroupDetail } from './AdGroupDetail';
import { CampaignDetail } from './CampaignDetail';
import { CampaignList } from './CampaignList';

export default function CampaignsTab() {
  return (
    <Routes>
      <Route index element={<CampaignList />} />
      <Route path="ad-groups/:id" element={<AdGroupDetail />} />
      <Route path=":id" element={<CampaignDetail />} />
    </Routes>
  );
}
