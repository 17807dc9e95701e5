import type { Logger } from '../../drivers/log/logger.js';
import type { OnvifClient, watchEvents } from '../../drivers/onvif/index.js';
import type { CameraConfig } from '../config/types.js';
import type { EventBus } from '../events/index.js';
import { withDeadline, type Service } from '../lifecycle/service.js';

export interface CameraEventsDeps {
  cameras: CameraConfig[];
  clientFor: (camera: CameraConfig) => OnvifClient;
  watch: typeof watchEvents;
  bus: EventBus;
  logger: Logger;
}

/**
 * Listens to each camera's ONVIF events (PullPoint) and puts them on the bus: a camera
 * that announces a configuration change is re-interrogated at once, and later the
 * clarity monitor hears its own video-source alarms. Cameras without events are simply
 * polled; periodic interrogation stays the safety net either way.
 */
export class CameraEventsService implements Service {
  readonly name = 'camera-events';
  /**
   * One controller per camera: a signal shared by 256 watchers carries an abort listener
   * per request in flight, which is what Node's MaxListenersExceededWarning (11 on one
   * AbortSignal) reported at every start.
   */
  private readonly aborts: AbortController[] = [];
  private readonly running: Promise<unknown>[] = [];

  constructor(private readonly deps: CameraEventsDeps) {}

  start(): void {
    for (const camera of this.deps.cameras) {
      const logger = this.deps.logger.child({ camera: camera.id });
      const abort = new AbortController();
      this.aborts.push(abort);
      const watching = this.deps
        .watch(this.deps.clientFor(camera), {
          signal: abort.signal,
          logger,
          onNotification: (n) =>
            this.deps.bus.emit('camera.notification', { camera: camera.id, topic: n.topicExpanded, utcTime: n.utcTime, source: n.source, data: n.data }),
        })
        .then((result) => {
          if (result.reason === 'unsupported') logger.info('camera has no ONVIF events; relying on periodic interrogation');
        })
        .catch((err: unknown) => logger.warn({ err }, 'ONVIF event watcher ended'));
      this.running.push(watching);
    }
  }

  async stop(): Promise<void> {
    for (const abort of this.aborts) abort.abort();
    // Each watcher unsubscribes with its own short deadline; don't let one camera hold the shutdown.
    await withDeadline(2500, () => Promise.allSettled(this.running));
  }
}
