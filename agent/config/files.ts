import { X509Certificate, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

// Reading the files a config refers to (TLS material, platform keys, password files)
// and judging their content, so a bad path fails at validate-config, not at 3 a.m.

/** The verdict on a file's content: the parsed value, or why it is unusable. */
export type Checked<T> = { ok: true; value: T } | { ok: false; reason: string };

export type FileRead = { ok: true; data: Buffer; mode: number } | { ok: false; reason: string };

/** Files referenced by a config are small; anything bigger is a wrong path. */
const MAX_BYTES = 1024 * 1024;

export function readReferencedFile(path: string): FileRead {
  try {
    const st = statSync(path);
    if (st.isDirectory()) return { ok: false, reason: `${path} is a directory` };
    if (!st.isFile()) return { ok: false, reason: `${path} is not a regular file` };
    if (st.size > MAX_BYTES) return { ok: false, reason: `${path} is larger than 1 MiB` };
    return { ok: true, data: readFileSync(path), mode: st.mode };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, reason: `${path} does not exist` };
    if (code === 'EACCES' || code === 'EPERM') return { ok: false, reason: `${path} is not readable (permission denied)` };
    return { ok: false, reason: `cannot read ${path}: ${(err as Error).message}` };
  }
}

export function checkCertificate(data: Buffer): Checked<X509Certificate> {
  try {
    return { ok: true, value: new X509Certificate(data) };
  } catch {
    return { ok: false, reason: 'is not a PEM or DER certificate' };
  }
}

export function checkPrivateKey(data: Buffer): Checked<KeyObject> {
  try {
    return { ok: true, value: createPrivateKey(data) };
  } catch (err) {
    const msg = (err as Error).message;
    // The config has no passphrase setting, so an encrypted key cannot be used unattended.
    if (/passphrase/i.test(msg)) return { ok: false, reason: 'is an encrypted private key; the agent needs it unencrypted (protect it with file permissions)' };
    return { ok: false, reason: 'is not a PEM or DER private key' };
  }
}

/** A platform key must be an Ed25519 public key in SPKI PEM (DESIGN: signed commands). */
export function checkEd25519PublicKey(data: Buffer): Checked<KeyObject> {
  if (data.toString('latin1').includes('PRIVATE KEY')) {
    return { ok: false, reason: 'holds a private key; the box needs only the platform public key' };
  }
  try {
    const key = createPublicKey(data);
    if (key.asymmetricKeyType !== 'ed25519') return { ok: false, reason: `is a ${key.asymmetricKeyType ?? 'unknown'} key, not Ed25519` };
    return { ok: true, value: key };
  } catch {
    return { ok: false, reason: 'is not a PEM public key (Ed25519, SPKI)' };
  }
}
