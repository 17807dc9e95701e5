import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../drivers/log/logger.js';
import { scrubText } from '../../drivers/log/redact.js';

function capture() {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString()));
  const logger = createLogger({ destination: stream, pretty: false, level: 'debug' });
  return { logger, text: () => chunks.join('') };
}

const SECRETS = ['hunter2-camera', 'tok-5f1e9a', 'mqtt-s3cret', 'sig-AAAAbase64', 'PRIVATEKEYBODY'];

describe('log redaction', () => {
  it('never writes a password, token, key, Authorization header or URL credential', async () => {
    const { logger, text } = capture();
    logger.info({ camera: { id: 'gate', onvif: { url: 'http://192.0.2.10/onvif', username: 'admin', password: 'hunter2-camera' } } }, 'camera configured');
    logger.info({ token: 'tok-5f1e9a', mqtt: { password: 'mqtt-s3cret' } }, 'live view opened');
    logger.info({ auth: { keyId: 'platform-1', sig: 'sig-AAAAbase64' } }, 'request');
    logger.warn({ headers: { Authorization: 'Digest username="admin", response="hunter2-camera"' } }, 'camera said 401');
    logger.error({ err: new Error('connect to rtsp://admin:hunter2-camera@192.0.2.10:554/stream1 failed') }, 'recorder failed');
    logger.info('ffmpeg -i rtsp://admin:hunter2-camera@192.0.2.10/s1 (password=mqtt-s3cret)');
    logger.info({ key: '-----BEGIN PRIVATE KEY-----\nPRIVATEKEYBODY\n-----END PRIVATE KEY-----' }, 'tls');
    logger.info({ note: 'pem inline -----BEGIN EC PRIVATE KEY-----\nPRIVATEKEYBODY\n-----END EC PRIVATE KEY-----' }, 'x');
    await new Promise((r) => setImmediate(r));
    const out = text();
    for (const secret of SECRETS) expect(out).not.toContain(secret);
    // What is not secret stays readable for the technician.
    expect(out).toContain('192.0.2.10');
    expect(out).toContain('admin');
    expect(out).toContain('recorder failed');
    expect(out).toContain('[redacted]');
  });

  it('scrubs credentials inside free text', () => {
    expect(scrubText('rtsp://admin:pa55@10.0.0.1/x')).toBe('rtsp://admin:[redacted]@10.0.0.1/x');
    expect(scrubText('Authorization: Basic YWRtaW46cGFzcw==')).toBe('Authorization: Basic [redacted]');
    expect(scrubText('token=abc123&x=1')).toBe('token=[redacted]&x=1');
    expect(scrubText('http://192.0.2.1/onvif/device_service')).toBe('http://192.0.2.1/onvif/device_service');
  });
});
