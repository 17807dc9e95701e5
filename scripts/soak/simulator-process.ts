// One simulator process of the soak: a fleet of simulated ONVIF cameras on 127.0.0.1,
// switched over IPC by the soak (offline, blur, configuration changes). Several of these
// run side by side so the cameras' HTTP and JPEG work is spread over processes, as
// cameras are separate devices, and does not share the soak's own event loop.
import { startFleet, type Fleet } from '../../test/fakes/onvif-camera/index.js';
import type { FromSimulator, ToSimulator } from './simulator-protocol.js';

let fleet: Fleet | null = null;
let stopping: Promise<void> | null = null;

function send(msg: FromSimulator): void {
  if (process.connected) process.send?.(msg);
}

function stop(): Promise<void> {
  stopping ??= (async () => {
    await fleet?.stop();
  })();
  return stopping;
}

async function handle(msg: ToSimulator): Promise<void> {
  switch (msg.type) {
    case 'start': {
      try {
        // No WS-Discovery responder: the soak configures every camera, and 3702 is shared.
        fleet = await startFleet(
          msg.cameras.map(({ id, port }) => ({ id, name: id, port })),
          { discovery: false },
        );
        send({
          type: 'ready',
          cameras: fleet.cameras.map((c) => ({ id: c.id, deviceServiceUrl: c.deviceServiceUrl, username: c.username, password: c.password })),
        });
      } catch (err) {
        send({ type: 'failed', error: (err as Error).message });
      }
      return;
    }
    case 'op': {
      try {
        if (!fleet) throw new Error('fleet not started');
        const cam = fleet.camera(msg.camera);
        if (msg.op === 'offline') await cam.setFailure('offline', msg.on);
        else if (msg.op === 'condition') cam.setCondition(msg.condition);
        else cam.setConfig(msg.patch);
        send({ type: 'done', req: msg.req });
      } catch (err) {
        send({ type: 'done', req: msg.req, error: (err as Error).message });
      }
      return;
    }
    case 'stop': {
      await stop();
      send({ type: 'stopped' });
      process.disconnect?.();
      return;
    }
  }
}

process.on('message', (msg: ToSimulator) => void handle(msg));
// The soak went away without saying stop (killed, crashed): close the cameras and go.
process.on('disconnect', () => void stop().then(() => process.exit(0)));
