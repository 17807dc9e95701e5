// The `diagnose` verb (DESIGN.md): {camera?} → the `cea diagnose --json` document.
// Each run is recorded in the inspection history (`record`), as the CLI's are.
import { z } from 'zod';
import type { DiagnoseReport } from '../../diagnose/checks.js';
import type { InspectionInput } from '../../diagnose/inspections.js';
import { VerbError, type VerbHandler } from '../requests/verb.js';

export interface DiagnoseVerbDeps {
  /** The configured camera ids. */
  cameraIds: () => readonly string[];
  /** runDiagnose with the agent's deps. */
  run: (opts: { camera?: string }) => Promise<DiagnoseReport>;
  /**
   * Records the run in the inspection history (recordInspection on the agent's database).
   * A failure to record is logged by the caller's function and never fails the answer.
   */
  record?: (run: InspectionInput) => void;
  now?: () => Date;
}

const args = z.object({ camera: z.string().min(1).optional() }).passthrough();

export function diagnoseVerb(deps: DiagnoseVerbDeps): VerbHandler<z.infer<typeof args>> {
  let running = false;
  const now = deps.now ?? (() => new Date());
  return {
    verb: 'diagnose',
    args,
    async run(a, ctx) {
      if (a.camera !== undefined && !deps.cameraIds().includes(a.camera)) throw new VerbError('not_found', `no camera "${a.camera}"`);
      // One run at a time: it contacts every camera.
      if (running) throw new VerbError('busy', 'a diagnose run is in progress');
      running = true;
      try {
        const startedMs = now().getTime();
        const report = await deps.run(a.camera !== undefined ? { camera: a.camera } : {});
        if (deps.record) {
          try {
            deps.record({
              report,
              startedMs,
              finishedMs: now().getTime(),
              source: 'verb',
              // The signing platform key; unsigned requests (allowed by config) name the request.
              requester: ctx.keyId !== null ? `platform:${ctx.keyId}` : `platform:unsigned:${ctx.id}`,
              camera: a.camera ?? null,
            });
          } catch {
            // The answer matters more than the history; the recorder logs its own failure.
          }
        }
        return report;
      } finally {
        running = false;
      }
    },
  };
}
