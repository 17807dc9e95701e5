// WS-Security UsernameToken with PasswordDigest (OASIS UsernameToken Profile 1.0, as
// ONVIF Core 5.9.4 requires): Digest = Base64(SHA-1(nonce + created + password)), with a
// fresh 16-byte nonce per request (devices reject replays) and Created in the DEVICE's
// clock (devices reject a Created too far from their own time, typically ±5 min).
import { createHash, randomBytes } from 'node:crypto';
import { NS, xmlEscape } from './soap.js';

const PASSWORD_DIGEST =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordDigest';
const BASE64_BINARY =
  'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary';

/** xs:dateTime in UTC with seconds precision: some firmware rejects fractional seconds. */
export function createdTimestamp(deviceMs: number): string {
  return new Date(deviceMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function passwordDigest(nonce: Buffer, created: string, password: string): string {
  return createHash('sha1')
    .update(Buffer.concat([nonce, Buffer.from(created, 'utf8'), Buffer.from(password, 'utf8')]))
    .digest('base64');
}

/** The wsse:Security header block for one request. */
export function usernameTokenHeader(username: string, password: string, deviceMs: number, nonce = randomBytes(16)): string {
  const created = createdTimestamp(deviceMs);
  const digest = passwordDigest(nonce, created, password);
  return (
    `<wsse:Security s:mustUnderstand="1" xmlns:wsse="${NS.wsse}" xmlns:wsu="${NS.wsu}">` +
    `<wsse:UsernameToken><wsse:Username>${xmlEscape(username)}</wsse:Username>` +
    `<wsse:Password Type="${PASSWORD_DIGEST}">${digest}</wsse:Password>` +
    `<wsse:Nonce EncodingType="${BASE64_BINARY}">${nonce.toString('base64')}</wsse:Nonce>` +
    `<wsu:Created>${created}</wsu:Created></wsse:UsernameToken></wsse:Security>`
  );
}
