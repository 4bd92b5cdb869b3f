/**
 * Datasets (Adobe: Data management → Datasets): the list, create from a schema, and a dataset's
 * page with its batches and the right rail (profile, Add data, labels, expiration).
 */
import { Route, Routes } from 'react-router';
import { DatasetDetail } from './DatasetDetail';
import { DatasetList } from './DatasetList';

export default function DatasetsScreen() {
  return (
    <Routes>
      <Route index element={<DatasetList />} />
      <Route path=":id" element={<DatasetDetail />} />
    </Routes>
  );
}
