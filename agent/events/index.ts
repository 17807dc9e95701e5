export { EventBus, type BusSignals } from './bus.js';
export { Outbox } from './outbox.js';
export { OutboxPublisher, type EventLink } from './publisher.js';
export { EventRecorder } from './recorder.js';
export { EVENT_TYPES, type AgentEvent, type EventType, type NewEvent, type Severity } from './types.js';
