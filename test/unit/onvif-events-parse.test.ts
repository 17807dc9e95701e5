// The ONVIF Events parsers against answers shaped like real cameras': prefixes declared on
// the Envelope, on the response or on the Topic itself, default namespaces, vendor topic
// extensions, gSOAP's 2004/08 WS-Addressing, missing UtcTime, Hikvision's zero dates.
import { describe, expect, it } from 'vitest';
import { OnvifError } from '../../drivers/onvif/errors.js';
import { XmlError, parseXml } from '../../drivers/xml/parse.js';
import {
  expandFilterTopic,
  lifetimeMs,
  onvifTopic,
  parseCreatePullPointSubscriptionResponse,
  parseDuration,
  parsePullMessagesFault,
  parsePullMessagesResponse,
  parseRenewResponse,
  serializeElement,
  topicMatches,
} from '../../drivers/onvif/parse-events.js';

const ONVIF_TOPICS = 'http://www.onvif.org/ver10/topics';
const AXIS_TOPICS = 'http://www.axis.com/2009/event/topics';

/** The response element itself (what decodeSoapResponse hands the parsers). */
function bodyChild(xml: string) {
  const env = parseXml(xml);
  const body = env.children.find((c) => c.local === 'Body')!;
  return body.children[0]!;
}

// Hikvision-like: gSOAP envelope, every prefix on the Envelope, wsa5 = 2005/08.
const HIKVISION = `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:soapenc="http://www.w3.org/2003/05/soap-encoding"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:tt="http://www.onvif.org/ver10/schema"
 xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tev="http://www.onvif.org/ver10/events/wsdl"
 xmlns:tns1="http://www.onvif.org/ver10/topics" xmlns:wstop="http://docs.oasis-open.org/wsn/t-1">
<env:Header><wsa5:Action>http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesResponse</wsa5:Action></env:Header>
<env:Body><tev:PullMessagesResponse>
<tev:CurrentTime>2024-03-05T08:12:34Z</tev:CurrentTime>
<tev:TerminationTime>2024-03-05T08:22:34Z</tev:TerminationTime>
<wsnt:NotificationMessage>
 <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:Media/ConfigurationChanged</wsnt:Topic>
 <wsnt:Message><tt:Message UtcTime="2024-03-05T08:12:33Z" PropertyOperation="Changed">
  <tt:Source><tt:SimpleItem Name="Token" Value="VideoSourceConfig_1"/><tt:SimpleItem Name="Type" Value="VideoSource"/></tt:Source>
  <tt:Data/>
 </tt:Message></wsnt:Message>
</wsnt:NotificationMessage>
<wsnt:NotificationMessage>
 <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:VideoSource/GlobalSceneChange/ImagingService</wsnt:Topic>
 <wsnt:Message><tt:Message UtcTime="2024-03-05T08:12:34Z" PropertyOperation="Changed">
  <tt:Source><tt:SimpleItem Name="Source" Value="VideoSource_1"/></tt:Source>
  <tt:Data><tt:SimpleItem Name="State" Value="true"/></tt:Data>
 </tt:Message></wsnt:Message>
</wsnt:NotificationMessage>
</tev:PullMessagesResponse></env:Body></env:Envelope>`;

// Axis-like: SOAP-ENV prefix, vendor child topic in its own namespace, Initialized state.
const AXIS = `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:wsa="http://www.w3.org/2005/08/addressing"
 xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tt="http://www.onvif.org/ver10/schema"
 xmlns:tev="http://www.onvif.org/ver10/events/wsdl" xmlns:tns1="http://www.onvif.org/ver10/topics"
 xmlns:tnsaxis="http://www.axis.com/2009/event/topics">
<SOAP-ENV:Body><tev:PullMessagesResponse>
<tev:CurrentTime>2024-03-05T08:12:34Z</tev:CurrentTime><tev:TerminationTime>2024-03-05T08:13:34Z</tev:TerminationTime>
<wsnt:NotificationMessage>
 <wsnt:Topic Dialect="http://docs.oasis-open.org/wsn/t-1/TopicExpression/Simple">tns1:VideoSource/tnsaxis:Tampering</wsnt:Topic>
 <wsnt:ProducerReference><wsa:Address>uri://5e8a-1c34/ProducerReference</wsa:Address></wsnt:ProducerReference>
 <wsnt:Message><tt:Message UtcTime="2024-03-05T08:12:30.123456Z" PropertyOperation="Initialized">
  <tt:Source><tt:SimpleItem Name="channel" Value="1"/></tt:Source>
  <tt:Key></tt:Key>
  <tt:Data><tt:SimpleItem Name="tampering" Value="0"/></tt:Data>
 </tt:Message></wsnt:Message>
</wsnt:NotificationMessage>
</tev:PullMessagesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`;

// Dahua/Uniview-like: the topic prefix declared on the Topic element; no UtcTime; a
// default namespace for wsnt and another prefix (ns2) for the ONVIF topic namespace.
const DAHUA = `<?xml version="1.0" encoding="UTF-8"?>
<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>
<PullMessagesResponse xmlns="http://www.onvif.org/ver10/events/wsdl" xmlns:ns2="http://www.onvif.org/ver10/topics">
<CurrentTime>2024-03-05T16:12:34</CurrentTime><TerminationTime>2024-03-05T16:22:34</TerminationTime>
<NotificationMessage xmlns="http://docs.oasis-open.org/wsn/b-2">
 <Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet" xmlns:tns1="http://www.onvif.org/ver10/topics">tns1:Monitoring/OperatingTime/LastReboot</Topic>
 <Message><tt:Message xmlns:tt="http://www.onvif.org/ver10/schema" PropertyOperation="Initialized">
  <tt:Source/><tt:Data><tt:SimpleItem Name="Status" Value="2024-03-05T06:01:10Z"/></tt:Data>
 </tt:Message></Message>
</NotificationMessage>
<NotificationMessage xmlns="http://docs.oasis-open.org/wsn/b-2">
 <Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">
   ns2:VideoSource/ImageTooBlurry/AnalyticsService
 </Topic>
 <Message><tt:Message xmlns:tt="http://www.onvif.org/ver10/schema" UtcTime="">
  <tt:Source><tt:SimpleItem Name="Source" Value="000"/><tt:SimpleItem Name="Source" Value="dup"/></tt:Source>
  <tt:Data><tt:SimpleItem Name="State" Value="true"/></tt:Data>
 </tt:Message></Message>
</NotificationMessage>
</PullMessagesResponse></s:Body></s:Envelope>`;

// Cheap firmware: tns1 used but never declared, trailing '//.', an ElementItem, an empty
// notification, SOAP 1.1 envelope.
const CHEAP = `<?xml version="1.0"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tev="http://www.onvif.org/ver10/events/wsdl"
 xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" xmlns:tt="http://www.onvif.org/ver10/schema">
<SOAP-ENV:Body><tev:PullMessagesResponse>
<tev:CurrentTime>0000-00-00T00:00:00Z</tev:CurrentTime><tev:TerminationTime>0000-00-00T00:00:00Z</tev:TerminationTime>
<wsnt:NotificationMessage><wsnt:Topic Dialect="x"> </wsnt:Topic></wsnt:NotificationMessage>
<wsnt:NotificationMessage>
 <wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/topicExpression/ConcreteSet">tns1:VideoSource/SignalLoss//.</wsnt:Topic>
 <wsnt:Message><tt:Message UtcTime="2024-03-05T08:12:34Z" PropertyOperation="Changed">
  <tt:Source><tt:SimpleItem Name="Source" Value="VS&amp;1"/></tt:Source>
  <tt:Data><tt:ElementItem Name="Region"><tt:Polygon><tt:Point x="0.1" y="0.2"/></tt:Polygon></tt:ElementItem>
   <tt:SimpleItem Name="State" Value="true"/></tt:Data>
 </tt:Message></wsnt:Message>
</wsnt:NotificationMessage>
</tev:PullMessagesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>`;

describe('parsePullMessagesResponse', () => {
  it('reads a Hikvision-shaped answer: topics, tokens, operation, times', () => {
    const r = parsePullMessagesResponse(parseXml(HIKVISION));
    expect(r.currentTime).toBe('2024-03-05T08:12:34Z');
    expect(r.terminationTime).toBe('2024-03-05T08:22:34Z');
    expect(r.notifications).toHaveLength(2);
    const [cfg, scene] = r.notifications;
    expect(cfg).toEqual({
      topic: 'tns1:Media/ConfigurationChanged',
      topicExpanded: onvifTopic('Media/ConfigurationChanged'),
      utcTime: '2024-03-05T08:12:33Z',
      propertyOperation: 'Changed',
      source: { Token: 'VideoSourceConfig_1', Type: 'VideoSource' },
      data: {},
    });
    expect(scene!.topicExpanded).toBe(`{${ONVIF_TOPICS}}VideoSource/GlobalSceneChange/ImagingService`);
    expect(scene!.source).toEqual({ Source: 'VideoSource_1' });
    expect(scene!.data).toEqual({ State: 'true' });
  });

  it('resolves a vendor child topic in its own namespace (Axis)', () => {
    const [n] = parsePullMessagesResponse(parseXml(AXIS)).notifications;
    expect(n!.topic).toBe('tns1:VideoSource/tnsaxis:Tampering');
    expect(n!.topicExpanded).toBe(`{${ONVIF_TOPICS}}VideoSource/{${AXIS_TOPICS}}Tampering`);
    expect(n!.utcTime).toBe('2024-03-05T08:12:30.123456Z');
    expect(n!.propertyOperation).toBe('Initialized');
    expect(n!.source).toEqual({ channel: '1' });
    expect(n!.data).toEqual({ tampering: '0' });
  });

  it('takes prefixes declared on the Topic or the response, default namespaces, missing UtcTime (Dahua-like)', () => {
    const r = parsePullMessagesResponse(parseXml(DAHUA));
    const [reboot, blur] = r.notifications;
    expect(reboot!.topicExpanded).toBe(onvifTopic('Monitoring/OperatingTime/LastReboot'));
    expect(reboot!.utcTime).toBeNull();
    expect(reboot!.propertyOperation).toBe('Initialized');
    expect(reboot!.source).toEqual({});
    expect(reboot!.data).toEqual({ Status: '2024-03-05T06:01:10Z' });
    // Another prefix for the same namespace gives the same expanded topic.
    expect(blur!.topic).toBe('ns2:VideoSource/ImageTooBlurry/AnalyticsService');
    expect(blur!.topicExpanded).toBe(onvifTopic('VideoSource/ImageTooBlurry/AnalyticsService'));
    expect(blur!.utcTime).toBeNull(); // UtcTime="" is no time
    expect(blur!.propertyOperation).toBeNull();
    expect(blur!.source).toEqual({ Source: '000' }); // the first of a duplicate name wins
    // Local times without a zone: the lifetime comes from the camera's own pair.
    expect(lifetimeMs(r, Date.now())).toBe(10 * 60_000);
  });

  it('copes with an undeclared tns1, a trailing //., ElementItems, empty topics and zero dates', () => {
    const r = parsePullMessagesResponse(parseXml(CHEAP));
    expect(r.notifications).toHaveLength(1);
    const [n] = r.notifications;
    expect(n!.topic).toBe('tns1:VideoSource/SignalLoss//.');
    expect(n!.topicExpanded).toBe(onvifTopic('VideoSource/SignalLoss'));
    expect(n!.source).toEqual({ Source: 'VS&1' });
    expect(n!.data.State).toBe('true');
    const region = parseXml(n!.data.Region!);
    expect(region.local).toBe('Polygon');
    expect(region.ns).toBe('http://www.onvif.org/ver10/schema');
    const point = region.children[0]!;
    expect(point.attrs.filter((a) => a.ns === '').map((a) => `${a.local}=${a.value}`)).toEqual(['x=0.1', 'y=0.2']);
    expect(lifetimeMs(r, Date.now())).toBeNull();
  });

  it('an empty answer is no notifications', () => {
    const xml = `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><PullMessagesResponse xmlns="http://www.onvif.org/ver10/events/wsdl"><CurrentTime>2024-01-01T00:00:00Z</CurrentTime><TerminationTime>2024-01-01T00:01:00Z</TerminationTime></PullMessagesResponse></e:Body></e:Envelope>`;
    const r = parsePullMessagesResponse(parseXml(xml));
    expect(r.notifications).toEqual([]);
    expect(lifetimeMs(r, 0)).toBe(60_000);
  });

  it('refuses an answer that is not a PullMessagesResponse', () => {
    const xml = `<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><Other/></e:Body></e:Envelope>`;
    expect(() => parsePullMessagesResponse(parseXml(xml))).toThrow(/PullMessagesResponse/);
  });
});

describe('CreatePullPointSubscriptionResponse, RenewResponse, faults', () => {
  it('reads the address and echoes Axis reference parameters as header blocks', () => {
    const el = bodyChild(`<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"
      xmlns:wsa5="http://www.w3.org/2005/08/addressing" xmlns:tev="http://www.onvif.org/ver10/events/wsdl"
      xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"><SOAP-ENV:Body><tev:CreatePullPointSubscriptionResponse>
      <tev:SubscriptionReference><wsa5:Address>http://192.168.0.90/onvif/services</wsa5:Address>
      <wsa5:ReferenceParameters><dom0:SubscriptionId xmlns:dom0="http://www.axis.com/2009/event">7</dom0:SubscriptionId></wsa5:ReferenceParameters>
      </tev:SubscriptionReference><wsnt:CurrentTime>2024-03-05T08:12:34Z</wsnt:CurrentTime>
      <wsnt:TerminationTime>2024-03-05T08:13:34Z</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>
      </SOAP-ENV:Body></SOAP-ENV:Envelope>`);
    const ref = parseCreatePullPointSubscriptionResponse(el);
    expect(ref.address).toBe('http://192.168.0.90/onvif/services');
    expect(ref.terminationTime).toBe('2024-03-05T08:13:34Z');
    expect(lifetimeMs(ref, 0)).toBe(60_000);
    expect(ref.referenceParameters).toHaveLength(1);
    const echoed = parseXml(ref.referenceParameters[0]!);
    expect(echoed.ns).toBe('http://www.axis.com/2009/event');
    expect(echoed.local).toBe('SubscriptionId');
    expect(echoed.text).toBe('7');
    expect(echoed.attrs.find((a) => a.local === 'IsReferenceParameter')).toMatchObject({
      ns: 'http://www.w3.org/2005/08/addressing',
      value: 'true',
    });
  });

  it('accepts gSOAP 2004/08 addressing, and refuses a reference without an address', () => {
    const el = bodyChild(`<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
      xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:tev="http://www.onvif.org/ver10/events/wsdl">
      <env:Body><tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>
      <wsa:Address> http:///onvif/events_service?session=392 </wsa:Address></tev:SubscriptionReference>
      </tev:CreatePullPointSubscriptionResponse></env:Body></env:Envelope>`);
    const ref = parseCreatePullPointSubscriptionResponse(el);
    expect(ref.address).toBe('http:///onvif/events_service?session=392');
    expect(ref.referenceParameters).toEqual([]);
    expect(ref.terminationTime).toBeNull();
    const bad = bodyChild(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope"><e:Body><CreatePullPointSubscriptionResponse xmlns="http://www.onvif.org/ver10/events/wsdl"><SubscriptionReference/></CreatePullPointSubscriptionResponse></e:Body></e:Envelope>`);
    expect(() => parseCreatePullPointSubscriptionResponse(bad)).toThrow(/Address/);
  });

  it('reads a RenewResponse with and without CurrentTime', () => {
    const el = bodyChild(`<e:Envelope xmlns:e="http://www.w3.org/2003/05/soap-envelope" xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"><e:Body><wsnt:RenewResponse><wsnt:TerminationTime>2024-03-05T08:20:00Z</wsnt:TerminationTime></wsnt:RenewResponse></e:Body></e:Envelope>`);
    const times = parseRenewResponse(el);
    expect(times).toEqual({ currentTime: null, terminationTime: '2024-03-05T08:20:00Z' });
    expect(lifetimeMs(times, Date.parse('2024-03-05T08:19:00Z'))).toBe(60_000);
  });

  it('reads the limits of a PullMessagesFaultResponse', () => {
    const env = parseXml(`<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:ter="http://www.onvif.org/ver10/error"
      xmlns:tev="http://www.onvif.org/ver10/events/wsdl"><env:Body><env:Fault>
      <env:Code><env:Value>env:Receiver</env:Value></env:Code><env:Reason><env:Text xml:lang="en">Timeout too long</env:Text></env:Reason>
      <env:Detail><tev:PullMessagesFaultResponse><tev:MaxTimeout>PT5S</tev:MaxTimeout><tev:MaxMessageLimit>10</tev:MaxMessageLimit>
      </tev:PullMessagesFaultResponse></env:Detail></env:Fault></env:Body></env:Envelope>`);
    expect(parsePullMessagesFault(env)).toEqual({ maxTimeoutMs: 5000, maxMessageLimit: 10 });
    const plain = parseXml(`<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body><env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code></env:Fault></env:Body></env:Envelope>`);
    expect(parsePullMessagesFault(plain)).toBeNull();
  });
});

describe('topics and durations', () => {
  it('filters match a topic and what is below it, whatever the prefixes', () => {
    const f = expandFilterTopic('tns1:VideoSource//.');
    expect(f).toBe(onvifTopic('VideoSource'));
    expect(topicMatches(onvifTopic('VideoSource/ImageTooDark/AnalyticsService'), f)).toBe(true);
    expect(topicMatches(onvifTopic('VideoSource'), f)).toBe(true);
    expect(topicMatches(onvifTopic('VideoSourceX/Y'), f)).toBe(false);
    expect(topicMatches(onvifTopic('Media/ProfileChanged'), expandFilterTopic('tns1:Media/ProfileChanged'))).toBe(true);
    expect(topicMatches(`{${ONVIF_TOPICS}}VideoSource/{${AXIS_TOPICS}}Tampering`, expandFilterTopic('tns1:VideoSource/tnsaxis:Tampering'))).toBe(true);
  });

  it('parses xs:duration', () => {
    expect(parseDuration('PT60S')).toBe(60_000);
    expect(parseDuration('PT1M')).toBe(60_000);
    expect(parseDuration('PT0.5S')).toBe(500);
    expect(parseDuration('P1DT2H')).toBe(26 * 3600_000);
    expect(parseDuration('-PT5S')).toBe(-5000);
    for (const bad of ['', 'P', 'PT', '60', 'PT5', '2024-01-01T00:00:00Z']) expect(parseDuration(bad)).toBeNull();
  });

  it('serializes namespaced attributes under fresh prefixes', () => {
    const el = parseXml(`<a:X xmlns:a="urn:a" xmlns:b="urn:b" b:attr="1&amp;2" plain="&lt;">t&amp;<a:Y/></a:X>`);
    const back = parseXml(serializeElement(el));
    expect(back.ns).toBe('urn:a');
    expect(back.text).toBe('t&');
    expect(back.children[0]).toMatchObject({ ns: 'urn:a', local: 'Y' });
    expect(back.attrs.filter((a) => a.ns !== 'http://www.w3.org/2000/xmlns/').map((a) => [a.ns, a.local, a.value])).toEqual([
      ['urn:b', 'attr', '1&2'],
      ['', 'plain', '<'],
    ]);
  });
});

describe('mutated answers', () => {
  it('give notifications or an OnvifError, never another exception', () => {
    // Fixed seed (mulberry32): reproducible, and broad enough to hit attribute/text/tag damage.
    let a = 0x5eed;
    const rnd = () => {
      a = (a + 0x6d2b79f5) | 0;
      let t = Math.imul(a ^ (a >>> 15), 1 | a);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const junk = ['<', '>', '"', ':', 'tns1:', '/', '&amp;', ' Name="x"', '</wsnt:Topic>', '<tt:SimpleItem/>', ''];
    let parsedCount = 0;
    for (const sample of [HIKVISION, AXIS, DAHUA, CHEAP]) {
      for (let i = 0; i < 400; i++) {
        let m = sample;
        for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
          const at = Math.floor(rnd() * m.length);
          const len = Math.floor(rnd() * 12);
          m = m.slice(0, at) + junk[Math.floor(rnd() * junk.length)]! + m.slice(at + len);
        }
        let env;
        try {
          env = parseXml(m);
        } catch (err) {
          expect(err).toBeInstanceOf(XmlError);
          continue;
        }
        try {
          const r = parsePullMessagesResponse(env);
          parsedCount++;
          for (const n of r.notifications) {
            expect(typeof n.topic).toBe('string');
            expect(typeof n.topicExpanded).toBe('string');
          }
        } catch (err) {
          expect(err).toBeInstanceOf(OnvifError);
        }
      }
    }
    expect(parsedCount).toBeGreaterThan(100);
  });
});
