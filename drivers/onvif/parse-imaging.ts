// Imaging service answers (ver20/imaging/wsdl; ver10 tolerated) → one flat record per
// video source: { Brightness: 50, IrCutFilter: 'AUTO', 'Exposure.Mode': 'AUTO', … }.
// Flattened generically so vendor additions are kept; Extension wrappers are see-through.
import type { XmlElement } from '../xml/parse.js';
import { child } from '../xml/parse.js';
import { OnvifError } from './errors.js';
import { xsNumber } from './parse-values.js';
import { NS } from './soap.js';
import type { ImagingSettings } from './types.js';

export const IMAGING_RESPONSES = {
  GetImagingSettings: { ns: [NS.timg, NS.timg10], local: 'GetImagingSettingsResponse' },
} as const;

const MAX_KEYS = 256;
const MAX_DEPTH = 8;
const MAX_VALUE = 256;

export function parseImagingSettings(el: XmlElement): ImagingSettings {
  const settings = child(el, el.ns, 'ImagingSettings');
  if (!settings) throw new OnvifError('protocol', 'GetImagingSettingsResponse: missing ImagingSettings');
  const out: ImagingSettings = {};
  let count = 0;
  const walk = (e: XmlElement, prefix: string, depth: number) => {
    for (const c of e.children) {
      if (count >= MAX_KEYS || depth > MAX_DEPTH) return;
      const key = c.local === 'Extension' ? prefix : prefix ? `${prefix}.${c.local}` : c.local;
      if (c.children.length > 0) {
        walk(c, key, depth + 1);
        continue;
      }
      const text = c.text.trim();
      if (!key || text === '' || key.includes('__proto__') || Object.hasOwn(out, key)) continue;
      out[key] = scalar(text);
      count++;
    }
  };
  walk(settings, '', 0);
  return out;
}

function scalar(text: string): string | number | boolean {
  if (text === 'true') return true;
  if (text === 'false') return false;
  const n = xsNumber(text);
  if (n !== null) return n;
  return text.length > MAX_VALUE ? text.slice(0, MAX_VALUE) : text;
}
