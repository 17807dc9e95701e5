// Platform events (DESIGN.md, "MQTT linkage contract"). The type list is open-ended on
// the wire, but the agent only emits the ones named here, so a typo fails to compile.
export const EVENT_TYPES = [
  'agent.started',
  'agent.stopping',
  'store.replaced',
  'camera.discovered',
  'camera.offline',
  'camera.online',
  'camera.auth_failed',
  'camera.auth_restored',
  'clarity.fault',
  'clarity.cleared',
  'config.changed',
  'report.overdue',
  'report.reminder',
  'storage.floor_at_risk',
  'storage.forecast_short',
  'recording.stopped',
  'recording.resumed',
  'recording.missing',
  'clock.jump',
  'compliance.prohibited_location',
  'clock.skew',
  'clock.skew_cleared',
  'access.granted',
  'discovery.flood',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];
export type Severity = 'info' | 'warning' | 'critical';

/** What a capability hands to the outbox. */
export interface NewEvent {
  type: EventType;
  severity: Severity;
  camera?: string;
  data: Record<string, unknown>;
}

/** An event as stored and as published on `psv/v1/<site>/event`. */
export interface AgentEvent {
  seq: number;
  id: string;
  ts: string;
  type: EventType;
  severity: Severity;
  camera?: string;
  data: Record<string, unknown>;
}
