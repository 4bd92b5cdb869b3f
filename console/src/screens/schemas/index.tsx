/**
 * Schemas: the list, Create schema (class picker, field groups, primary identity) and a schema's
 * page with its field tree, the one-way Profile switch and the Labels tab.
 */
import { Route, Routes } from 'react-router';
import { CreateSchema } from './CreateSchema';
import { SchemaDetail } from './SchemaDetail';
import { SchemaList } from './SchemaList';

export default function SchemasScreen() {
  return (
    <Routes>
      <Route index element={<SchemaList />} />
      <Route path="new" element={<CreateSchema />} />
      <Route path=":id/*" element={<SchemaDetail />} />
    </Routes>
  );
}
