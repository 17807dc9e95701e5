// The facts of the documents a dossier attaches by reference: SHA-256, size, mtime.
// A document can be a scanned contract of hundreds of megabytes, so it is hashed as a
// stream, never read whole. Missing or unreadable files are reported, never guessed.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { DocumentFacts } from './policy.js';

export async function documentFacts(path: string): Promise<DocumentFacts> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    return failed(path, err);
  }
  try {
    // Size and mtime from the same open file that is hashed, so they describe the same bytes.
    const st = await handle.stat();
    if (!st.isFile()) return { path, state: 'unreadable', bytes: null, sha256: null, modifiedAt: null, problem: 'is not a regular file' };
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of handle.createReadStream({ autoClose: false })) {
      const buf = chunk as Buffer;
      hash.update(buf);
      bytes += buf.length;
    }
    return { path, state: 'present', bytes, sha256: hash.digest('hex'), modifiedAt: st.mtime.toISOString(), problem: null };
  } catch (err) {
    return failed(path, err);
  } finally {
    await handle.close();
  }
}

/** Facts for every distinct path, one file at a time (a box's disk is busy recording). */
export async function documentsFacts(paths: readonly string[]): Promise<Map<string, DocumentFacts>> {
  const out = new Map<string, DocumentFacts>();
  for (const p of paths) {
    if (!out.has(p)) out.set(p, await documentFacts(p));
  }
  return out;
}

function failed(path: string, err: unknown): DocumentFacts {
  const code = (err as NodeJS.ErrnoException).code;
  const missing = code === 'ENOENT' || code === 'ENOTDIR';
  const problem = missing
    ? 'does not exist'
    : code === 'EACCES' || code === 'EPERM'
      ? 'is not readable (permission denied)'
      : code === 'EISDIR'
        ? 'is a directory'
        : `cannot be read: ${(err as Error).message}`;
  return { path, state: missing ? 'missing' : 'unreadable', bytes: null, sha256: null, modifiedAt: null, problem };
}
