// Example platform consumer (see README.md beside this file):
//   node dist/scripts/platform-example/index.js --url mqtt://127.0.0.1:1883 --site demo-site \
//     [--username U --password P] [--key platform-key.pem --key-id platform-1]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createConsumer } from './consumer.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    site: { type: 'string' },
    key: { type: 'string' },
    'key-id': { type: 'string' },
    username: { type: 'string' },
    password: { type: 'string' },
  },
});
if (!values.url || !values.site || (values.key && !values['key-id'])) {
  process.stderr.write('usage: index.js --url mqtt://HOST:PORT --site SITE|+ [--username U --password P] [--key PEM --key-id ID]\n');
  process.exit(2);
}
const log = (site: string, what: string, detail: unknown) => process.stdout.write(`${new Date().toISOString()} ${site} ${what} ${JSON.stringify(detail)}\n`);

const consumer = await createConsumer({
  url: values.url,
  site: values.site,
  ...(values.key ? { key: readFileSync(values.key, 'utf8'), keyId: values['key-id'] as string } : {}),
  ...(values.username !== undefined ? { username: values.username } : {}),
  ...(values.password !== undefined ? { password: values.password } : {}),
  onState: (site, state) => log(site, 'state', state),
  onStatus: (site, camera, status) => log(site, `camera ${camera} status`, status),
  onEvent: (site, e) => log(site, `event #${e.seq} ${e.type} ${e.severity}`, e.camera ?? ''),
  onGap: (site, gap) => log(site, 'GAP: missing seq', gap),
  onDuplicate: (site, e) => log(site, `duplicate (dropped) #${e.seq}`, e.id),
  onReport: (site, report, acked) => log(site, acked ? 'change report, acknowledging' : 'change report (not acknowledged: no credentials)', report.id),
  onAck: (site, res) => log(site, `report.ack answered ${res.status}`, res.error ?? res.data),
});
process.stderr.write(`listening on ${values.url} for psv/v1/${values.site}/# (Ctrl-C to stop)\n`);
process.once('SIGINT', () => void consumer.stop().then(() => process.exit(0)));
