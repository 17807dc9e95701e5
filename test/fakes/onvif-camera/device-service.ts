// ONVIF Device service (ver10/device/wsdl): identity, clock, capabilities, services,
// scopes, network interface and hostname. Element order follows onvif.xsd / devicemgmt.wsdl.
import { createHash } from 'node:crypto';
import { type Handler, type ServiceContext, type SoapService } from './context.js';
import { NS, SoapFault } from './soap.js';
import { childLocal, esc, textOf } from './xml.js';

/** Offset of the camera's local time zone (CST-8 = UTC+8, the usual setting in China). */
const TZ = 'CST-8';
const TZ_OFFSET_MS = 8 * 3_600_000;

function dateTime(tag: string, ms: number): string {
  const d = new Date(ms);
  return (
    `<tt:${tag}><tt:Time><tt:Hour>${d.getUTCHours()}</tt:Hour><tt:Minute>${d.getUTCMinutes()}</tt:Minute>` +
    `<tt:Second>${d.getUTCSeconds()}</tt:Second></tt:Time><tt:Date><tt:Year>${d.getUTCFullYear()}</tt:Year>` +
    `<tt:Month>${d.getUTCMonth() + 1}</tt:Month><tt:Day>${d.getUTCDate()}</tt:Day></tt:Date></tt:${tag}>`
  );
}

const getSystemDateAndTime: Handler = (_op, _req, ctx) => {
  const now = ctx.nowMs();
  return (
    `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>` +
    `<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>` +
    `<tt:TimeZone><tt:TZ>${TZ}</tt:TZ></tt:TimeZone>` +
    dateTime('UTCDateTime', now) +
    dateTime('LocalDateTime', now + TZ_OFFSET_MS) +
    `</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`
  );
};

const getDeviceInformation: Handler = (_op, _req, ctx) => {
  const i = ctx.identity();
  return (
    `<tds:GetDeviceInformationResponse>` +
    `<tds:Manufacturer>${esc(i.manufacturer)}</tds:Manufacturer><tds:Model>${esc(i.model)}</tds:Model>` +
    `<tds:FirmwareVersion>${esc(i.firmware)}</tds:FirmwareVersion>` +
    `<tds:SerialNumber>${esc(i.serial)}</tds:SerialNumber><tds:HardwareId>${esc(i.hardwareId)}</tds:HardwareId>` +
    `</tds:GetDeviceInformationResponse>`
  );
};

function deviceCaps(ctx: ServiceContext): string {
  return (
    `<tt:Device><tt:XAddr>${ctx.urls().device}</tt:XAddr>` +
    `<tt:Network><tt:IPFilter>false</tt:IPFilter><tt:ZeroConfiguration>false</tt:ZeroConfiguration>` +
    `<tt:IPVersion6>false</tt:IPVersion6><tt:DynDNS>false</tt:DynDNS></tt:Network>` +
    `<tt:System><tt:DiscoveryResolve>false</tt:DiscoveryResolve><tt:DiscoveryBye>true</tt:DiscoveryBye>` +
    `<tt:RemoteDiscovery>false</tt:RemoteDiscovery><tt:SystemBackup>false</tt:SystemBackup>` +
    `<tt:SystemLogging>false</tt:SystemLogging><tt:FirmwareUpgrade>false</tt:FirmwareUpgrade>` +
    `<tt:SupportedVersions><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System>` +
    `<tt:IO><tt:InputConnectors>0</tt:InputConnectors><tt:RelayOutputs>0</tt:RelayOutputs></tt:IO>` +
    `<tt:Security><tt:TLS1.1>false</tt:TLS1.1><tt:TLS1.2>false</tt:TLS1.2>` +
    `<tt:OnboardKeyGeneration>false</tt:OnboardKeyGeneration><tt:AccessPolicyConfig>false</tt:AccessPolicyConfig>` +
    `<tt:X.509Token>false</tt:X.509Token><tt:SAMLToken>false</tt:SAMLToken>` +
    `<tt:KerberosToken>false</tt:KerberosToken><tt:RELToken>false</tt:RELToken></tt:Security></tt:Device>`
  );
}

const CAP_CATEGORIES = ['All', 'Device', 'Events', 'Imaging', 'Media'] as const;

const getCapabilities: Handler = (op, _req, ctx) => {
  const cats = op.children.filter((c) => c.local === 'Category').map((c) => c.text.trim());
  const want = new Set(cats.length ? cats : ['All']);
  for (const c of want) {
    if (!(CAP_CATEGORIES as readonly string[]).includes(c)) {
      throw new SoapFault({
        code: 'Receiver',
        subcodes: ['ActionNotSupported', 'NoSuchService'],
        reason: `No such service: ${c}`,
      });
    }
  }
  const all = want.has('All');
  const u = ctx.urls();
  let caps = '';
  if (all || want.has('Device')) caps += deviceCaps(ctx);
  if (all || want.has('Events')) {
    caps +=
      `<tt:Events><tt:XAddr>${u.events}</tt:XAddr><tt:WSSubscriptionPolicySupport>false</tt:WSSubscriptionPolicySupport>` +
      `<tt:WSPullPointSupport>true</tt:WSPullPointSupport>` +
      `<tt:WSPausableSubscriptionManagerInterfaceSupport>false</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>`;
  }
  if (all || want.has('Imaging')) caps += `<tt:Imaging><tt:XAddr>${u.imaging}</tt:XAddr></tt:Imaging>`;
  if (all || want.has('Media')) {
    caps +=
      `<tt:Media><tt:XAddr>${u.media}</tt:XAddr><tt:StreamingCapabilities><tt:RTPMulticast>false</tt:RTPMulticast>` +
      `<tt:RTP_TCP>true</tt:RTP_TCP><tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>`;
  }
  return `<tds:GetCapabilitiesResponse><tds:Capabilities>${caps}</tds:Capabilities></tds:GetCapabilitiesResponse>`;
};

const deviceServiceCaps =
  `<tds:Capabilities><tds:Network IPFilter="false" ZeroConfiguration="false" IPVersion6="false" DynDNS="false"/>` +
  `<tds:Security UsernameToken="true" HttpDigest="true"/>` +
  `<tds:System DiscoveryResolve="false" DiscoveryBye="true" RemoteDiscovery="false" SystemBackup="false" ` +
  `SystemLogging="false" FirmwareUpgrade="false"/></tds:Capabilities>`;

const getServices: Handler = (op, _req, ctx) => {
  const include = textOf(childLocal(op, 'IncludeCapability')) === 'true';
  const u = ctx.urls();
  const svc = (ns: string, xaddr: string, caps: string, major: number, minor: number) =>
    `<tds:Service><tds:Namespace>${ns}</tds:Namespace><tds:XAddr>${xaddr}</tds:XAddr>` +
    (include ? `<tds:Capabilities>${caps}</tds:Capabilities>` : '') +
    `<tds:Version><tt:Major>${major}</tt:Major><tt:Minor>${minor}</tt:Minor></tds:Version></tds:Service>`;
  return (
    `<tds:GetServicesResponse>` +
    svc(NS.tds, u.device, deviceServiceCaps, 2, 60) +
    svc(NS.trt, u.media, `<trt:Capabilities SnapshotUri="true" Rotation="false" OSD="false"><trt:ProfileCapabilities MaximumNumberOfProfiles="2"/><trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true"/></trt:Capabilities>`, 2, 60) +
    svc(NS.timg, u.imaging, `<timg:Capabilities ImageStabilization="false"/>`, 2, 60) +
    svc(NS.tev, u.events, `<tev:Capabilities WSSubscriptionPolicySupport="false" WSPullPointSupport="true" WSPausableSubscriptionManagerInterfaceSupport="false" MaxPullPoints="8"/>`, 2, 60) +
    `</tds:GetServicesResponse>`
  );
};

const getServiceCapabilities: Handler = () =>
  `<tds:GetServiceCapabilitiesResponse>${deviceServiceCaps}</tds:GetServiceCapabilitiesResponse>`;

const getScopes: Handler = (_op, _req, ctx) =>
  `<tds:GetScopesResponse>` +
  ctx
    .scopes()
    .map(
      (s) =>
        `<tds:Scopes><tt:ScopeDef>${s.fixed ? 'Fixed' : 'Configurable'}</tt:ScopeDef>` +
        `<tt:ScopeItem>${esc(s.item)}</tt:ScopeItem></tds:Scopes>`,
    )
    .join('') +
  `</tds:GetScopesResponse>`;

const getNetworkInterfaces: Handler = (_op, _req, ctx) => {
  // A locally administered MAC derived from the id, stable across runs.
  const h = createHash('sha1').update(ctx.id).digest();
  const mac = ['02', ...[...h.subarray(0, 5)].map((b) => b.toString(16).padStart(2, '0'))].join(':');
  return (
    `<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>` +
    `<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>${mac}</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>` +
    `<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual><tt:Address>${esc(ctx.urls().host)}</tt:Address>` +
    `<tt:PrefixLength>8</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>` +
    `</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>`
  );
};

const getHostname: Handler = (_op, _req, ctx) =>
  `<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>` +
  `<tt:Name>${esc(ctx.config().hostname)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>`;

const getWsdlUrl: Handler = () =>
  `<tds:GetWsdlUrlResponse><tds:WsdlUrl>http://www.onvif.org/Documents/Specifications.aspx</tds:WsdlUrl></tds:GetWsdlUrlResponse>`;

const getEndpointReference: Handler = (_op, _req, ctx) =>
  `<tds:GetEndpointReferenceResponse><tds:GUID>${ctx.urn}</tds:GUID></tds:GetEndpointReferenceResponse>`;

export const deviceService: SoapService = {
  ns: NS.tds,
  handlers: {
    GetSystemDateAndTime: getSystemDateAndTime,
    GetDeviceInformation: getDeviceInformation,
    GetCapabilities: getCapabilities,
    GetServices: getServices,
    GetServiceCapabilities: getServiceCapabilities,
    GetScopes: getScopes,
    GetNetworkInterfaces: getNetworkInterfaces,
    GetHostname: getHostname,
    GetWsdlUrl: getWsdlUrl,
    GetEndpointReference: getEndpointReference,
  },
};

/** ONVIF Core's PRE_AUTH access class: answered without credentials. */
export const PRE_AUTH_ACTIONS = [
  'GetSystemDateAndTime',
  'GetCapabilities',
  'GetServices',
  'GetServiceCapabilities',
  'GetHostname',
  'GetWsdlUrl',
  'GetEndpointReference',
];
