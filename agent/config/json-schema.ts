import { z } from 'zod';
import { configSchema } from './schema.js';

/**
 * JSON Schema of the config file (what may be written, defaults included), for
 * editors and other tools. config/agent.schema.json is this text; a unit test keeps
 * them equal. Cross-field rules (the profile floor, one password source, files
 * that must exist) are checked by `cea validate-config` only.
 */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(configSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
}

export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
