import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';
import { LANG_OPTION } from './lang.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * node:util parseArgs, strict, with its errors turned into usage errors (exit 2). Every
 * command also accepts --lang (scripts/cli/lang.ts); its value is in `values.lang`.
 */
export function parseCommandArgs<O extends Options>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...options, ...LANG_OPTION } as O & typeof LANG_OPTION, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}
