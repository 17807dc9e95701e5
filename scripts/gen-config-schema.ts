// Writes config/agent.schema.json from the zod config schema.
//   npm run build && node dist/scripts/gen-config-schema.js
// test/unit/config.test.ts fails when the committed file differs from the schema.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configJsonSchemaText } from '../agent/config/index.js';
import { packageRoot } from '../agent/package-root.js';

const target = join(packageRoot(), 'config', 'agent.schema.json');
writeFileSync(target, configJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
