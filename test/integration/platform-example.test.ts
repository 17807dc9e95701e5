import { createPublicKey, randomUUID, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { canonicalJson } from '../../agent/canonical-json.js';
import { Outbox, OutboxPublisher } from '../../agent/events/index.js';
import { RequestRouter } from '../../agent/linkage/requests/router.js';
import type { VerbHandler } from '../../agent/linkage/requests/verb.js';
import { silentLogger } from '../../drivers/log/logger.js';
import { MqttConnection } from '../../drivers/mqtt/index.js';
import { migrations, openStore } from '../../drivers/store/index.js';
import { createConsumer, SeqTracker, signRequest, type AckResponse, type WireEvent } from '../../scripts/platform-example/consumer.js';
import { startTestBroker, waitFor } from '../helpers/broker.js';
import { makeSigner } from '../helpers/platform.js';
import { makeTempDir } from '../helpers/tmp.js';

const SITE = 'site-0001';

describe('platform example consumer', () => {
  const cleanups: (() => Promise<unknown> | unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('tells gaps from duplicates', () => {
    const t = new SeqTracker();
    expect(t.check({ seq: 7, id: 'a' })).toEqual({ kind: 'new' }); // a late start is no gap
    expect(t.check({ seq: 8, id: 'b' })).toEqual({ kind: 'new' });
    expect(t.check({ seq: 8, id: 'b' })).toEqual({ kind: 'duplicate' });
    expect(t.check({ seq: 11, id: 'c' })).toEqual({ kind: 'gap', from: 9, to: 10 });
    expect(t.check({ seq: 7, id: 'a' })).toEqual({ kind: 'duplicate' }); // redelivery after reconnect
  });

  it('signs requests that node:crypto verifies over the JCS form', () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const signer = makeSigner(tmp.dir);
    const args = { receiptNo: 'R-1', reportId: 'rep-1' };
    const auth = signRequest('report.ack', 'req-1', args, signer.privateKey, signer.keyId);
    const signed = canonicalJson({ verb: 'report.ack', id: 'req-1', args, ts: auth.ts, nonce: auth.nonce });
    expect(signed.startsWith('{"args":{"receiptNo":"R-1","reportId":"rep-1"},"id":"req-1","nonce":')).toBe(true);
    const pub = createPublicKey(readFileSync(signer.publicKeyFile, 'utf8'));
    expect(verify(null, Buffer.from(signed, 'utf8'), pub, Buffer.from(auth.sig, 'base64'))).toBe(true);
    expect(verify(null, Buffer.from(signed.replace('R-1', 'R-2'), 'utf8'), pub, Buffer.from(auth.sig, 'base64'))).toBe(false);
    expect(auth.nonce).toMatch(/^[A-Za-z0-9_-]{16,64}$/);
  });

  it('reports a seq gap from a real outbox and acknowledges a change report with a signed request the agent accepts', async () => {
    const tmp = makeTempDir();
    cleanups.push(tmp.remove);
    const signer = makeSigner(tmp.dir);
    const broker = await startTestBroker();
    cleanups.push(() => broker.close());
    const { db } = openStore(join(tmp.dir, 'agent.db'), { migrations, now: () => new Date() });
    cleanups.push(() => db.close());
    const outbox = new Outbox({ db, site: SITE, now: () => new Date(), newId: randomUUID });
    outbox.append({ type: 'agent.started', severity: 'info', data: {} });
    outbox.append({ type: 'camera.offline', severity: 'warning', camera: 'gate', data: {} });
    outbox.append({ type: 'config.changed', severity: 'warning', data: { report: { id: 'rep-1' }, summary: [] } });
    outbox.acknowledge(2); // seq 2 vanishes before delivery: the consumer must see a gap

    const acked: { reportId: string; receiptNo: string }[] = [];
    const reportAck: VerbHandler<{ reportId: string; receiptNo: string }> = {
      verb: 'report.ack',
      args: z.object({ reportId: z.string(), receiptNo: z.string() }),
      async run(args) {
        acked.push(args);
        return { report: { id: args.reportId, state: 'acknowledged' } };
      },
    };
    const connection = new MqttConnection({ url: broker.url, clientId: `cea-${SITE}`, keepaliveSeconds: 5, protocolVersion: 4, backoffMs: [100] });
    connection.on('error', () => {});
    cleanups.push(() => connection.end({ force: true }));
    const router = new RequestRouter({
      site: SITE,
      link: connection,
      db,
      logger: silentLogger(),
      now: () => new Date(),
      verbs: [reportAck],
      security: { requireSignedCommands: true, platformKeys: [{ id: signer.keyId, publicKey: signer.publicKeyFile }] },
    });
    router.start();
    cleanups.push(() => router.stop());

    const gaps: unknown[] = [];
    const events: WireEvent[] = [];
    const answers: AckResponse[] = [];
    const consumer = await createConsumer({
      url: broker.url,
      site: '+',
      key: signer.privateKey,
      keyId: signer.keyId,
      username: 'platform',
      password: 'x',
      receiptNo: () => 'RCPT-0001',
      onGap: (site, gap) => gaps.push({ site, ...gap }),
      onEvent: (_s, e) => events.push(e),
      onAck: (_s, res) => answers.push(res),
    });
    cleanups.push(() => consumer.stop());

    const publisher = new OutboxPublisher({ outbox, link: connection, topic: `psv/v1/${SITE}/event`, logger: silentLogger() });
    publisher.start();
    cleanups.push(() => publisher.stop(100));
    connection.connect();

    await waitFor('the ack answer', () => answers.length === 1);
    expect(events.map((e) => e.seq)).toEqual([1, 3]);
    expect(gaps).toEqual([{ site: SITE, from: 2, to: 2 }]);
    expect(acked).toEqual([{ reportId: 'rep-1', receiptNo: 'RCPT-0001' }]);
    expect(answers[0]).toMatchObject({ status: 'ok', data: { report: { id: 'rep-1', state: 'acknowledged' } } });
    expect(consumer.pendingAcks.size).toBe(0);
  });
});
