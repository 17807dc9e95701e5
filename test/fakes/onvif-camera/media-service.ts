// ONVIF Media service (ver10/media/wsdl, Profile S): a main stream that follows the
// camera's run-time config and a fixed-ratio sub stream, one video source.
import type { Handler, ServiceContext, SoapService } from './context.js';
import { NS, SoapFault, faults } from './soap.js';
import { childLocal, esc, textOf } from './xml.js';

export const VIDEO_SOURCE_TOKEN = 'VideoSource_1';
export const VIDEO_SOURCE_CONFIG_TOKEN = 'VideoSourceConfig_1';

interface Encoder {
  token: string;
  name: string;
  width: number;
  height: number;
  fps: number;
  bitrate: number;
  profileToken: string;
  profileName: string;
  streamPath: string;
}

export function encoders(ctx: ServiceContext): Encoder[] {
  const c = ctx.config();
  // Sub stream: at most 640 wide, same aspect ratio, even dimensions.
  const subW = Math.min(640, c.width);
  const subH = Math.max(2, Math.round((subW * c.height) / c.width / 2) * 2);
  return [
    {
      token: 'VideoEncoder_1',
      name: 'MainStream',
      width: c.width,
      height: c.height,
      fps: c.fps,
      bitrate: c.bitrate,
      profileToken: 'Profile_1',
      profileName: 'mainStream',
      streamPath: 'main',
    },
    {
      token: 'VideoEncoder_2',
      name: 'SubStream',
      width: subW,
      height: subH,
      fps: Math.min(15, c.fps),
      bitrate: Math.min(512, c.bitrate),
      profileToken: 'Profile_2',
      profileName: 'subStream',
      streamPath: 'sub',
    },
  ];
}

function sourceConfigXml(tag: string, ctx: ServiceContext): string {
  const c = ctx.config();
  return (
    `<${tag} token="${VIDEO_SOURCE_CONFIG_TOKEN}"><tt:Name>VideoSourceConfig</tt:Name><tt:UseCount>2</tt:UseCount>` +
    `<tt:SourceToken>${VIDEO_SOURCE_TOKEN}</tt:SourceToken>` +
    `<tt:Bounds x="0" y="0" width="${c.width}" height="${c.height}"/></${tag}>`
  );
}

function encoderXml(tag: string, e: Encoder): string {
  return (
    `<${tag} token="${e.token}"><tt:Name>${e.name}</tt:Name><tt:UseCount>1</tt:UseCount>` +
    `<tt:Encoding>H264</tt:Encoding>` +
    `<tt:Resolution><tt:Width>${e.width}</tt:Width><tt:Height>${e.height}</tt:Height></tt:Resolution>` +
    `<tt:Quality>5</tt:Quality>` +
    `<tt:RateControl><tt:FrameRateLimit>${e.fps}</tt:FrameRateLimit><tt:EncodingInterval>1</tt:EncodingInterval>` +
    `<tt:BitrateLimit>${e.bitrate}</tt:BitrateLimit></tt:RateControl>` +
    `<tt:H264><tt:GovLength>${e.fps * 2}</tt:GovLength><tt:H264Profile>Main</tt:H264Profile></tt:H264>` +
    `<tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type><tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address>` +
    `<tt:Port>0</tt:Port><tt:TTL>1</tt:TTL><tt:AutoStart>false</tt:AutoStart></tt:Multicast>` +
    `<tt:SessionTimeout>PT60S</tt:SessionTimeout></${tag}>`
  );
}

function profileXml(tag: string, e: Encoder, ctx: ServiceContext): string {
  return (
    `<${tag} token="${e.profileToken}" fixed="true"><tt:Name>${e.profileName}</tt:Name>` +
    sourceConfigXml('tt:VideoSourceConfiguration', ctx) +
    encoderXml('tt:VideoEncoderConfiguration', e) +
    `</${tag}>`
  );
}

function findProfile(op: Parameters<Handler>[0], ctx: ServiceContext): Encoder {
  const token = textOf(childLocal(op, 'ProfileToken'));
  const e = encoders(ctx).find((x) => x.profileToken === token);
  if (!e) throw new SoapFault(faults.invalidArg('NoProfile', `Profile token does not exist: ${token ?? ''}`));
  return e;
}

function mediaUri(tag: string, uri: string): string {
  return (
    `<${tag}><trt:MediaUri><tt:Uri>${esc(uri)}</tt:Uri><tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>` +
    `<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></${tag}>`
  );
}

const handlers: Record<string, Handler> = {
  GetServiceCapabilities: () =>
    `<trt:GetServiceCapabilitiesResponse><trt:Capabilities SnapshotUri="true" Rotation="false" OSD="false">` +
    `<trt:ProfileCapabilities MaximumNumberOfProfiles="2"/>` +
    `<trt:StreamingCapabilities RTPMulticast="false" RTP_TCP="true" RTP_RTSP_TCP="true"/></trt:Capabilities>` +
    `</trt:GetServiceCapabilitiesResponse>`,

  GetProfiles: (_op, _req, ctx) =>
    `<trt:GetProfilesResponse>${encoders(ctx)
      .map((e) => profileXml('trt:Profiles', e, ctx))
      .join('')}</trt:GetProfilesResponse>`,

  GetProfile: (op, _req, ctx) =>
    `<trt:GetProfileResponse>${profileXml('trt:Profile', findProfile(op, ctx), ctx)}</trt:GetProfileResponse>`,

  GetVideoSources: (_op, _req, ctx) => {
    const c = ctx.config();
    return (
      `<trt:GetVideoSourcesResponse><trt:VideoSources token="${VIDEO_SOURCE_TOKEN}">` +
      `<tt:Framerate>${c.fps}</tt:Framerate>` +
      `<tt:Resolution><tt:Width>${c.width}</tt:Width><tt:Height>${c.height}</tt:Height></tt:Resolution>` +
      `</trt:VideoSources></trt:GetVideoSourcesResponse>`
    );
  },

  GetVideoSourceConfigurations: (_op, _req, ctx) =>
    `<trt:GetVideoSourceConfigurationsResponse>${sourceConfigXml('trt:Configurations', ctx)}` +
    `</trt:GetVideoSourceConfigurationsResponse>`,

  GetVideoEncoderConfigurations: (_op, _req, ctx) =>
    `<trt:GetVideoEncoderConfigurationsResponse>${encoders(ctx)
      .map((e) => encoderXml('trt:Configurations', e))
      .join('')}</trt:GetVideoEncoderConfigurationsResponse>`,

  GetVideoEncoderConfiguration: (op, _req, ctx) => {
    const token = textOf(childLocal(op, 'ConfigurationToken'));
    const e = encoders(ctx).find((x) => x.token === token);
    if (!e) throw new SoapFault(faults.invalidArg('NoConfig', `Configuration token does not exist: ${token ?? ''}`));
    return `<trt:GetVideoEncoderConfigurationResponse>${encoderXml('trt:Configuration', e)}</trt:GetVideoEncoderConfigurationResponse>`;
  },

  GetStreamUri: (op, _req, ctx) => {
    const e = findProfile(op, ctx);
    const setup = childLocal(op, 'StreamSetup');
    const stream = textOf(childLocal(setup, 'Stream')) ?? 'RTP-Unicast';
    if (stream !== 'RTP-Unicast') {
      throw new SoapFault(faults.invalidArg('InvalidStreamSetup', `Stream setup not supported: ${stream}`));
    }
    // No RTSP server behind it: the URI has the shape of a real one (port 554, per profile).
    const uri = `rtsp://${ctx.urls().host}:554/sim/${encodeURIComponent(ctx.id)}/${e.streamPath}`;
    return mediaUri('trt:GetStreamUriResponse', uri);
  },

  GetSnapshotUri: (op, _req, ctx) => {
    findProfile(op, ctx);
    return mediaUri('trt:GetSnapshotUriResponse', ctx.urls().snapshot);
  },
};

export const mediaService: SoapService = { ns: NS.trt, handlers };
