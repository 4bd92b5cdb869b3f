#!/usr/bin/env node
// `npm run cdp -- …`: the built CLI, or one line saying to build it (not a module-not-found stack).
const fs = require('node:fs');
const path = require('node:path');

const main = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(main)) {
  process.stderr.write('cdp is not built yet: run `npm run build` first (npm start and npm run demo build it too)\n');
  process.exit(1);
}
require(main);
