#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ (no runtime transpiler on the box).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/scripts/cea.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('cea: dist/ is missing; run `npm run build` first (npm start and npm test build it for you)\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
