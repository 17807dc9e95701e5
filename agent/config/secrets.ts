import { isAbsolute, resolve } from 'node:path';
import { readReferencedFile } from './files.js';
import type { ConfigPath, IssueSink } from './issues.js';
import type { RawCredentials } from './schema.js';

export interface SecretContext {
  /** Base of a relative passwordFile: the config file's directory. */
  baseDir: string;
  env: NodeJS.ProcessEnv;
  sink: IssueSink;
}

const SOURCES = ['password', 'passwordFile', 'passwordEnv'] as const;

/**
 * The password of a credentials block (mqtt, a camera's onvif): inline, from a file, or
 * from an environment variable — exactly one of them, or none. Problems become errors
 * at `at` + the offending key; the return value is undefined then.
 */
export function resolvePassword(creds: RawCredentials, at: ConfigPath, ctx: SecretContext): string | undefined {
  const given = SOURCES.filter((k) => creds[k] !== undefined);
  if (given.length > 1) {
    // Point at the inline password if there is one: that is the copy to remove.
    const culprit = given.includes('password') ? 'password' : (given[given.length - 1] ?? 'password');
    ctx.sink.error([...at, culprit], `the password is given ${given.length} ways (${given.join(', ')}); keep exactly one`, 'key');
    return undefined;
  }
  if (creds.password !== undefined) return creds.password;
  if (creds.passwordFile !== undefined) return fromFile(creds.passwordFile, [...at, 'passwordFile'], ctx);
  if (creds.passwordEnv !== undefined) return fromEnv(creds.passwordEnv, [...at, 'passwordEnv'], ctx);
  return undefined;
}

function fromFile(name: string, path: ConfigPath, ctx: SecretContext): string | undefined {
  const file = isAbsolute(name) ? name : resolve(ctx.baseDir, name);
  const read = readReferencedFile(file);
  if (!read.ok) {
    ctx.sink.error(path, read.reason);
    return undefined;
  }
  // Editors and `echo` add a final newline that is not part of the password.
  const password = read.data.toString('utf8').replace(/\r?\n$/, '');
  if (password === '') {
    ctx.sink.error(path, `${file} is empty`);
    return undefined;
  }
  if (process.platform !== 'win32' && (read.mode & 0o077) !== 0) {
    ctx.sink.warn(path, `${file} is readable by other users (mode ${(read.mode & 0o777).toString(8)}); chmod 600 it`);
  }
  return password;
}

function fromEnv(name: string, path: ConfigPath, ctx: SecretContext): string | undefined {
  const value = ctx.env[name];
  if (value === undefined) {
    ctx.sink.error(path, `environment variable ${name} is not set`);
    return undefined;
  }
  if (value === '') {
    ctx.sink.error(path, `environment variable ${name} is empty`);
    return undefined;
  }
  return value;
}
