// The dossier as Markdown for people and for print: a cover table, what is missing,
// the equipment (identity, then encoders), retention, documents, notes. Pure.
// Unknown values print as "—"; a missing document is marked MISSING, never given a hash.
import { describeFilingStatus, type Dossier } from './policy.js';

const UNKNOWN = '—';

/** A table cell: pipes and line breaks would break the table; '<' would start HTML. */
function cell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined || value === '') return UNKNOWN;
  const text = typeof value === 'boolean' ? (value ? 'yes' : 'no') : String(value);
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/\r?\n/g, '<br>');
}

function table(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const head = `| ${headers.join(' | ')} |`;
  const rule = `|${headers.map(() => '---').join('|')}|`;
  return [head, rule, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function bytes(n: number | null): string | null {
  if (n === null) return null;
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i] ?? ''} (${n} bytes)`;
}

export function renderDossierMarkdown(d: Dossier): string {
  const f = d.filing;
  const out: string[] = [];
  out.push(`# Filing dossier: ${cell(d.site.name)} (${cell(d.site.id)})`, '');
  out.push(`Public security video image information system. Jurisdiction: ${cell(d.profile.name)} (profile \`${d.profile.id}\`).`, '');

  const period =
    f.countsFrom === null
      ? `${f.days} days (no acceptance or in-use date configured)`
      : `${f.days} days from ${f.countsFrom === 'acceptance' ? 'acceptance' : 'first use'} (${f.from ?? UNKNOWN})`;
  out.push(
    table(
      ['Item', 'Value'],
      [
        ['Site', `${d.site.name} (${d.site.id}), time zone ${d.site.timezone}`],
        ['Operator', f.operator],
        ['Contact', f.contact],
        ['Filing authority', f.authority],
        ['Accepted on', f.acceptedOn],
        ['In use since', f.inUseSince],
        ['Built before the measures', f.existingSystem],
        ['Filing period', period],
        ['Deadline', f.deadline],
        ['Status', `**${describeFilingStatus(f)}**`],
        ['Generated', `${d.generatedAt} (site date ${d.today})`],
      ],
    ),
    '',
  );

  out.push(d.complete ? '## Dossier complete' : `## Dossier INCOMPLETE: ${d.missing.length} item(s) missing`, '');
  if (d.complete) out.push('All required documents are present and every camera has been interrogated.', '');
  else out.push(...d.missing.map((m) => `- **${m.what}** \`${m.ref}\`: ${cell(m.detail)}`), '');

  out.push(`## Equipment (${d.equipment.length} camera${d.equipment.length === 1 ? '' : 's'})`, '');
  out.push('Model, firmware and serial exactly as each camera reports them over ONVIF.', '');
  out.push(
    table(
      ['Camera', 'Name', 'Location', 'Purpose', 'Manufacturer', 'Model', 'Firmware', 'Serial', 'Last seen'],
      d.equipment.map((e) => [
        e.prohibited ? `${e.id} (PROHIBITED PLACE)` : e.id,
        e.name,
        `${e.location.kind}: ${e.location.description}`,
        e.purpose,
        e.manufacturer,
        e.model,
        e.firmware,
        e.serial,
        e.lastSeen ?? (e.interrogated ? null : 'never interrogated'),
      ]),
    ),
    '',
  );
  const encoders = d.equipment.flatMap((e) =>
    e.profiles.map((p) => [
      e.id,
      `${p.name} (${p.token})`,
      p.encoding,
      p.width !== null && p.height !== null ? `${p.width}×${p.height}` : null,
      p.fps,
      p.bitrate,
      p.gop,
    ]),
  );
  out.push('### Video encoders', '');
  out.push(
    encoders.length > 0
      ? table(['Camera', 'Profile', 'Codec', 'Resolution', 'FPS', 'Bitrate (kbit/s)', 'GOP'], encoders)
      : 'No encoder data yet: no camera has been interrogated.',
    '',
  );

  out.push('## Retention', '');
  out.push(
    table(
      ['Policy', 'Days'],
      [
        ['Kept at least (floor)', d.retention.floorDays],
        [`Legal floor (profile ${d.profile.id})`, d.retention.profileFloorDays],
        ['Deleted after (ceiling, unless held)', d.retention.ceilingDays],
        ['Material of vital value kept', d.retention.vitalHoldDays],
      ],
    ),
    '',
  );

  out.push('## Documents', '');
  out.push(
    d.documents.length > 0
      ? table(
          ['Kind', 'Title', 'File', 'Size', 'SHA-256', 'Modified'],
          d.documents.map((doc) =>
            doc.state === 'present'
              ? [doc.kind, doc.title, doc.path, bytes(doc.bytes), doc.sha256 === null ? null : `\`${doc.sha256}\``, doc.modifiedAt]
              : [doc.kind, doc.title, doc.path, `**MISSING**: ${doc.problem ?? doc.state}`, null, null],
          ),
        )
      : 'No documents are listed (config `filing.documents`).',
    '',
  );

  if (d.unconfiguredDevices.length > 0) {
    out.push('## Devices on the network that are not configured', '');
    out.push(table(['URN', 'Addresses', 'First seen', 'Last seen'], d.unconfiguredDevices.map((u) => [u.urn, u.xaddrs.join(' '), u.firstSeen, u.lastSeen])), '');
  }

  if (d.notes.length > 0) {
    out.push('## Notes', '');
    out.push(...d.notes.map((n) => `- ${cell(n)}`), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
