/**
 * Where the project is (from src/ or dist/src/ alike) and its version: without dependencies, so that
 * a command that only needs these (the CLI's client commands, `--help`) loads nothing else.
 */
import fs from 'node:fs';
import path from 'node:path';

/** Finds the project root from src/ or dist/src/ alike. */
export function projectRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('package.json not found above ' + __dirname);
    dir = parent;
  }
  return dir;
}

export function version(): string {
  return (JSON.parse(fs.readFileSync(path.join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}
