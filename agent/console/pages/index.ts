// The console's pages (issue 11). The server (agent/console/server.ts, another module)
// authenticates, enforces each route's minRole and checks CSRF on every POST before a
// handler here runs; handlers only read the database and call ConsoleServices.
//
// For the server half:
//   - stylesheet: the pages link /assets/console.css (route below, viewer). The login page
//     keeps its own /login.css; to give it the pages' look instead, serve
//     consoleAsset('console.css') without a session. /assets/live.js and
//     /assets/jsmpeg.min.js (the live player) are only needed after login; no inline
//     script or style anywhere, so the server's CSP (default-src 'self') holds.
//   - every form carries <input type="hidden" name="_csrf">; the sign-out form in the
//     header posts to /logout.
//   - every page that shows pictures writes the access register itself (views.ts);
//     services.openLive must NOT write its own row (the live page writes console.live first).
import type { PageResponse, Route } from '../contract.js';
import { loadCalendar, type WorkingDayCalendar } from '../../calendar/index.js';
import { ConsoleAssets } from './assets.js';
import { cameraPage, livePage } from './camera.js';
import { compliancePage } from './compliance.js';
import { diagnosticsPage, runDiagnoseAction } from './diagnostics.js';
import { notFound } from './layout.js';
import { overviewPage } from './overview.js';
import { registerExport, registerPage } from './register.js';
import { addHoldAction, releaseHoldAction, retentionPage } from './retention.js';
import { consoleRequester, ViewGrants } from './views.js';

export { CSS_PATH } from './layout.js';

let sharedAssets: ConsoleAssets | null = null;

/** A bundled asset (console.css, live.js, jsmpeg.min.js) for the server to serve; null when there is none of that name. */
export function consoleAsset(name: string): PageResponse | null {
  sharedAssets ??= new ConsoleAssets();
  return sharedAssets.serve(name);
}

export interface ConsoleRoutesOptions {
  /** Where the live page's player comes from (tests: a file, or null for "not installed"). */
  assets?: ConsoleAssets;
}

export function consoleRoutes(opts: ConsoleRoutesOptions = {}): Route[] {
  const grants = new ViewGrants();
  const assets = opts.assets ?? (sharedAssets ??= new ConsoleAssets());
  const calendars = new Map<string, WorkingDayCalendar>();
  const calendarFor = (file: string | null) => () => {
    const key = file ?? '';
    let cal = calendars.get(key);
    if (!cal) calendars.set(key, (cal = loadCalendar({ file }).calendar));
    return cal;
  };

  return [
    { method: 'GET', pattern: '/', minRole: 'viewer', handle: (req) => overviewPage(req, grants) },
    { method: 'GET', pattern: '/cameras/:id', minRole: 'viewer', handle: (req) => cameraPage(req, grants) },
    {
      method: 'GET',
      pattern: '/cameras/:id/thumbnail.jpg',
      minRole: 'viewer',
      handle: (req) => {
        const { services } = req;
        const id = req.params.id ?? '';
        const camera = services.config.cameras.find((c) => c.id === id);
        // A prohibited place never has a picture, whatever the cache holds.
        if (!camera || camera.prohibited) return notFound(req);
        const thumb = services.thumbnail(id);
        if (!thumb) return notFound(req);
        const nowMs = services.now().getTime();
        if (!grants.covers(req.query.get('view'), req.user.name, id, nowMs)) {
          services.registerAccess({ verb: 'console.view', cameras: [id], requester: consoleRequester(req), purpose: null, detail: { page: req.path, role: req.user.role, pictures: 1 } });
        }
        return { kind: 'bytes', contentType: 'image/jpeg', body: thumb.jpeg, headers: { 'cache-control': 'no-store, private' } };
      },
    },
    { method: 'POST', pattern: '/cameras/:id/live', minRole: 'viewer', handle: (req) => livePage(req, assets.playerAvailable) },
    { method: 'GET', pattern: '/retention', minRole: 'viewer', handle: (req) => retentionPage(req) },
    { method: 'POST', pattern: '/retention/holds', minRole: 'admin', handle: (req) => addHoldAction(req) },
    { method: 'POST', pattern: '/retention/holds/:id/release', minRole: 'admin', handle: (req) => releaseHoldAction(req) },
    { method: 'GET', pattern: '/compliance', minRole: 'viewer', handle: (req) => compliancePage(req, calendarFor(req.services.config.calendar.file)) },
    { method: 'GET', pattern: '/register', minRole: 'viewer', handle: (req) => registerPage(req) },
    { method: 'POST', pattern: '/register/export', minRole: 'viewer', handle: (req) => registerExport(req) },
    { method: 'GET', pattern: '/diagnostics', minRole: 'viewer', handle: (req) => diagnosticsPage(req) },
    { method: 'POST', pattern: '/diagnostics/run', minRole: 'operator', handle: (req) => runDiagnoseAction(req) },
    { method: 'GET', pattern: '/assets/:name', minRole: 'viewer', handle: (req) => assets.serve(req.params.name ?? '') ?? notFound(req) },
  ];
}
