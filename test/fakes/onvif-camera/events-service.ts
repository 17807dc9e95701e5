// ONVIF Events service (ver10/events/wsdl) with WS-BaseNotification pull points:
// GetEventProperties, CreatePullPointSubscription, PullMessages (long poll), Renew,
// Unsubscribe. The camera publishes tns1:Media/ConfigurationChanged on config changes.
import { isoSeconds, type Handler, type ServiceContext, type SoapService } from './context.js';
import type { Notification, Subscription } from './event-broker.js';
import { NS, SoapFault, type SoapRequest } from './soap.js';
import { child, childLocal, esc, textOf } from './xml.js';

export const PULLPOINT_PATH = '/onvif/events_service/pullpoint/';
const DEFAULT_TERMINATION_MS = 60_000;
const MAX_PULL_WAIT_MS = 60_000;
const MAX_MESSAGE_LIMIT = 100;
const CONCRETE_SET = 'http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet';

export const TOPIC_CONFIGURATION_CHANGED = 'tns1:Media/ConfigurationChanged';

/** xs:duration (PnYnMnDTnHnMnS; years and months approximated) → ms. */
export function parseDuration(s: string): number | undefined {
  const m = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s.trim());
  if (!m || s.trim() === 'P' || s.trim().endsWith('T')) return undefined;
  const [, neg, y, mo, d, h, mi, sec] = m;
  const n = (v: string | undefined) => (v ? Number(v) : 0);
  const ms =
    ((((n(y) * 365 + n(mo) * 30 + n(d)) * 24 + n(h)) * 60 + n(mi)) * 60 + n(sec)) * 1000;
  return neg ? -ms : ms;
}

/** A termination time given as a duration (relative) or an absolute xs:dateTime. */
function terminationFrom(text: string | undefined, now: number): number {
  if (!text) return now + DEFAULT_TERMINATION_MS;
  const rel = parseDuration(text);
  if (rel !== undefined) return now + rel;
  const abs = Date.parse(text);
  if (Number.isNaN(abs)) {
    throw new SoapFault({ code: 'Sender', subcodes: ['InvalidArgVal'], reason: `Invalid termination time: ${text}` });
  }
  return abs;
}

function subscriptionOf(req: SoapRequest, path: string, ctx: ServiceContext): Subscription {
  let target = path;
  const to = textOf(child(req.header, NS.wsa, 'To'));
  if (!target.startsWith(PULLPOINT_PATH) && to) {
    try {
      target = new URL(to).pathname;
    } catch {
      /* not a URL: fall through to the fault */
    }
  }
  const id = target.startsWith(PULLPOINT_PATH) ? decodeURIComponent(target.slice(PULLPOINT_PATH.length)) : '';
  const sub = id ? ctx.events.get(id) : undefined;
  if (!sub) {
    throw new SoapFault({
      code: 'Sender',
      subcodes: ['InvalidArgVal'],
      reason: 'Subscription does not exist (wsrf-rw:ResourceUnknownFault)',
    });
  }
  return sub;
}

function items(tag: string, list: [string, string][]): string {
  if (list.length === 0) return '';
  return `<tt:${tag}>${list.map(([n, v]) => `<tt:SimpleItem Name="${esc(n)}" Value="${esc(v)}"/>`).join('')}</tt:${tag}>`;
}

function notificationXml(n: Notification, subAddress: string): string {
  const op = n.operation ? ` PropertyOperation="${n.operation}"` : '';
  return (
    `<wsnt:NotificationMessage>` +
    `<wsnt:SubscriptionReference><wsa:Address>${esc(subAddress)}</wsa:Address></wsnt:SubscriptionReference>` +
    `<wsnt:Topic Dialect="${CONCRETE_SET}">${esc(n.topic)}</wsnt:Topic>` +
    `<wsnt:Message><tt:Message UtcTime="${isoSeconds(n.utcMs)}"${op}>` +
    items('Source', n.source) +
    items('Data', n.data) +
    `</tt:Message></wsnt:Message></wsnt:NotificationMessage>`
  );
}

const subAddress = (ctx: ServiceContext, sub: Subscription) =>
  `${ctx.urls().base}${PULLPOINT_PATH}${encodeURIComponent(sub.id)}`;

const tevHandlers: Record<string, Handler> = {
  GetServiceCapabilities: () =>
    `<tev:GetServiceCapabilitiesResponse><tev:Capabilities WSSubscriptionPolicySupport="false" ` +
    `WSPullPointSupport="true" WSPausableSubscriptionManagerInterfaceSupport="false" MaxNotificationProducers="0" ` +
    `MaxPullPoints="64" PersistentNotificationStorage="false"/></tev:GetServiceCapabilitiesResponse>`,

  GetEventProperties: () =>
    `<tev:GetEventPropertiesResponse>` +
    `<tev:TopicNamespaceLocation>http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>` +
    `<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet>` +
    `<wstop:TopicSet><tns1:Media wstop:topic="true"><ConfigurationChanged wstop:topic="true">` +
    `<tt:MessageDescription IsProperty="true"><tt:Source>` +
    `<tt:SimpleItemDescription Name="Token" Type="tt:ReferenceToken"/>` +
    `<tt:SimpleItemDescription Name="Type" Type="xs:string"/>` +
    `</tt:Source></tt:MessageDescription></ConfigurationChanged></tns1:Media></wstop:TopicSet>` +
    `<wsnt:TopicExpressionDialect>http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet</wsnt:TopicExpressionDialect>` +
    `<wsnt:TopicExpressionDialect>http://docs.oasis-open.org/wsn/t-1/TopicExpression/ConcreteSet</wsnt:TopicExpressionDialect>` +
    `<tev:MessageContentFilterDialect>http://www.onvif.org/ver10/tev/messageContentFilter/ItemFilter</tev:MessageContentFilterDialect>` +
    `<tev:MessageContentSchemaLocation>http://www.onvif.org/onvif/ver10/schema/onvif.xsd</tev:MessageContentSchemaLocation>` +
    `</tev:GetEventPropertiesResponse>`,

  CreatePullPointSubscription: (op, _req, ctx) => {
    const now = ctx.nowMs();
    const sub = ctx.events.create(terminationFrom(textOf(childLocal(op, 'InitialTerminationTime')), now));
    return (
      `<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>` +
      `<wsa:Address>${esc(subAddress(ctx, sub))}</wsa:Address></tev:SubscriptionReference>` +
      `<wsnt:CurrentTime>${isoSeconds(now)}</wsnt:CurrentTime>` +
      `<wsnt:TerminationTime>${isoSeconds(sub.terminationMs)}</wsnt:TerminationTime>` +
      `</tev:CreatePullPointSubscriptionResponse>`
    );
  },

  PullMessages: async (op, req, ctx, path) => {
    const sub = subscriptionOf(req, path, ctx);
    const timeout = Math.min(parseDuration(textOf(childLocal(op, 'Timeout')) ?? '') ?? 0, MAX_PULL_WAIT_MS);
    const limit = Math.max(1, Math.min(Number(textOf(childLocal(op, 'MessageLimit')) ?? 1) || 1, MAX_MESSAGE_LIMIT));
    await ctx.events.waitForMessage(sub, timeout, ctx.stopping);
    const batch = sub.queue.splice(0, limit);
    const addr = subAddress(ctx, sub);
    return (
      `<tev:PullMessagesResponse><tev:CurrentTime>${isoSeconds(ctx.nowMs())}</tev:CurrentTime>` +
      `<tev:TerminationTime>${isoSeconds(sub.terminationMs)}</tev:TerminationTime>` +
      batch.map((n) => notificationXml(n, addr)).join('') +
      `</tev:PullMessagesResponse>`
    );
  },

  SetSynchronizationPoint: (_op, req, ctx, path) => {
    subscriptionOf(req, path, ctx);
    return `<tev:SetSynchronizationPointResponse/>`;
  },
};

const wsntHandlers: Record<string, Handler> = {
  Renew: (op, req, ctx, path) => {
    const sub = subscriptionOf(req, path, ctx);
    const now = ctx.nowMs();
    sub.terminationMs = terminationFrom(textOf(childLocal(op, 'TerminationTime')), now);
    return (
      `<wsnt:RenewResponse><wsnt:TerminationTime>${isoSeconds(sub.terminationMs)}</wsnt:TerminationTime>` +
      `<wsnt:CurrentTime>${isoSeconds(now)}</wsnt:CurrentTime></wsnt:RenewResponse>`
    );
  },

  Unsubscribe: (_op, req, ctx, path) => {
    ctx.events.delete(subscriptionOf(req, path, ctx).id);
    return `<wsnt:UnsubscribeResponse/>`;
  },
};

export const eventsServices: SoapService[] = [
  {
    ns: NS.tev,
    handlers: tevHandlers,
    responseActions: {
      GetEventProperties: `${NS.tev}/EventPortType/GetEventPropertiesResponse`,
      CreatePullPointSubscription: `${NS.tev}/EventPortType/CreatePullPointSubscriptionResponse`,
      PullMessages: `${NS.tev}/PullPointSubscription/PullMessagesResponse`,
      SetSynchronizationPoint: `${NS.tev}/PullPointSubscription/SetSynchronizationPointResponse`,
    },
  },
  {
    ns: NS.wsnt,
    handlers: wsntHandlers,
    responseActions: {
      Renew: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewResponse',
      Unsubscribe: 'http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/UnsubscribeResponse',
    },
  },
];
