import type { Logger } from '../../drivers/log/logger.js';
import type { AgentEvent } from './types.js';

/**
 * Signals between capabilities inside the agent. `event` carries every platform event
 * after it is committed to the outbox; capabilities add their own signals here as they
 * are built (one typed map, so a listener and an emitter can't disagree on a payload).
 */
export interface BusSignals {
  event: [AgentEvent];
  /** The broker acknowledged (PUBACK) this event; it has left the outbox. */
  'event.delivered': [AgentEvent];
  'camera.reachability': [{ camera: string; online: boolean; at: Date }];
  /** A camera told us something over ONVIF events (topic in {namespace}Local form). */
  'camera.notification': [{ camera: string; topic: string; utcTime: string | null; source: Record<string, string>; data: Record<string, string> }];
  /** An interrogation found a camera different from its previous snapshot (change reports listen). */
  'inventory.changed': [{ camera: string; beforeId: number | null; afterId: number; at: Date }];
}

type Listener<K extends keyof BusSignals> = (...args: BusSignals[K]) => void;

export class EventBus {
  private readonly listeners = new Map<keyof BusSignals, Set<Listener<never>>>();

  constructor(private readonly logger: Logger) {}

  on<K extends keyof BusSignals>(signal: K, listener: Listener<K>): () => void {
    let set = this.listeners.get(signal);
    if (!set) {
      set = new Set();
      this.listeners.set(signal, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof BusSignals>(signal: K, ...args: BusSignals[K]): void {
    for (const listener of this.listeners.get(signal) ?? []) {
      try {
        (listener as Listener<K>)(...args);
      } catch (err) {
        // One capability's bug must not stop the others from hearing the signal.
        this.logger.error({ err, signal }, 'bus listener failed');
      }
    }
  }
}
