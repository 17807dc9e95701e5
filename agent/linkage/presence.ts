// The retained `state` topic: online on every (re)connect, `offline` as the broker-sent
// last will, `stopped` on a clean shutdown, so the platform can tell a crash or a cut
// cable (offline) from a technician stopping the service (stopped).
export type PresenceState = 'online' | 'offline' | 'stopped';

export interface PresencePayload {
  state: PresenceState;
  ts: string;
  agentVersion: string;
  bootId: string;
}

export function presencePayload(state: PresenceState, now: Date, agentVersion: string, bootId: string): PresencePayload {
  return { state, ts: now.toISOString(), agentVersion, bootId };
}
