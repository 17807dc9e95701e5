// The `diagnose` verb (DESIGN.md): {camera?} → the `cea diagnose --json` document.
import { z } from 'zod';
import type { DiagnoseReport } from '../../diagnose/checks.js';
import { VerbError, type VerbHandler } from '../requests/verb.js';

export interface DiagnoseVerbDeps {
  /** The configured camera ids. */
  cameraIds: () => readonly string[];
  /** runDiagnose with the agent's deps. */
  run: (opts: { camera?: string }) => Promise<DiagnoseReport>;
}

const args = z.object({ camera: z.string().min(1).optional() }).passthrough();

export function diagnoseVerb(deps: DiagnoseVerbDeps): VerbHandler<z.infer<typeof args>> {
  let running = false;
  return {
    verb: 'diagnose',
    args,
    async run(a) {
      if (a.camera !== undefined && !deps.cameraIds().includes(a.camera)) throw new VerbError('not_found', `no camera "${a.camera}"`);
      // One run at a time: it contacts every camera.
      if (running) throw new VerbError('busy', 'a diagnose run is in progress');
      running = true;
      try {
        return await deps.run(a.camera !== undefined ? { camera: a.camera } : {});
      } finally {
        running = false;
      }
    },
  };
}
