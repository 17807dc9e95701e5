// ONVIF Imaging service (ver20/imaging/wsdl): GetImagingSettings for the one video source.
// Brightness follows the simulated condition so a client can see a "misadjusted" camera.
import type { Handler, SoapService } from './context.js';
import { VIDEO_SOURCE_TOKEN } from './media-service.js';
import { NS, SoapFault, faults } from './soap.js';
import { childLocal, textOf } from './xml.js';

const BRIGHTNESS = { dark: 5, bright: 95 } as Partial<Record<string, number>>;

const getImagingSettings: Handler = (op, _req, ctx) => {
  const token = textOf(childLocal(op, 'VideoSourceToken'));
  if (token !== VIDEO_SOURCE_TOKEN) {
    throw new SoapFault(faults.invalidArg('NoSource', `Video source token does not exist: ${token ?? ''}`));
  }
  const condition = ctx.condition();
  const brightness = BRIGHTNESS[condition] ?? 50;
  const focus = condition === 'blur' ? 'MANUAL' : 'AUTO';
  return (
    `<timg:GetImagingSettingsResponse><timg:ImagingSettings>` +
    `<tt:BacklightCompensation><tt:Mode>OFF</tt:Mode></tt:BacklightCompensation>` +
    `<tt:Brightness>${brightness}</tt:Brightness><tt:ColorSaturation>50</tt:ColorSaturation>` +
    `<tt:Contrast>50</tt:Contrast>` +
    `<tt:Exposure><tt:Mode>AUTO</tt:Mode></tt:Exposure>` +
    `<tt:Focus><tt:AutoFocusMode>${focus}</tt:AutoFocusMode></tt:Focus>` +
    `<tt:IrCutFilter>AUTO</tt:IrCutFilter><tt:Sharpness>50</tt:Sharpness>` +
    `<tt:WideDynamicRange><tt:Mode>OFF</tt:Mode></tt:WideDynamicRange>` +
    `<tt:WhiteBalance><tt:Mode>AUTO</tt:Mode></tt:WhiteBalance>` +
    `</timg:ImagingSettings></timg:GetImagingSettingsResponse>`
  );
};

export const imagingService: SoapService = {
  ns: NS.timg,
  handlers: {
    GetImagingSettings: getImagingSettings,
    GetServiceCapabilities: () =>
      `<timg:GetServiceCapabilitiesResponse><timg:Capabilities ImageStabilization="false"/></timg:GetServiceCapabilitiesResponse>`,
  },
};
