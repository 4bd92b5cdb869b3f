/**
 * Writes the OpenAPI document that GET /v1/openapi.json serves, without a database: the build
 * generates the console's typed client from it (`npm run build`). Usage: node write-openapi.js <file>
 */
import fs from 'node:fs';
import path from 'node:path';
import { requestSchemas } from '../core/validation';
import { version } from '../runtime';
import { allRoutes, Services } from '../services';
import { apiDocument } from './app';

// Route declarations only keep their service for their handlers; none is called here.
const placeholder = new Proxy({}, { get: () => ({}) }) as Services;
const out = process.argv[2];
if (!out) {
  process.stderr.write('usage: write-openapi <file>\n');
  process.exit(2);
}
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, JSON.stringify(apiDocument(allRoutes(placeholder), requestSchemas(), version()), null, 2) + '\n');
