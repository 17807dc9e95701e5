// Viewing a picture in the console is a use of image information (Liaoning Art. 14 (iv)):
// it is registered with the operator's account BEFORE the bytes leave the box.
//
// A page that shows pictures (the overview's 256 thumbnails, a camera's page) writes ONE
// register row naming every camera whose picture it shows, with a view id; the <img>
// requests of that page carry the id and are covered by that row (same account, same
// cameras, within VIEW_TTL_MS). An auditor reads "user X viewed cameras A…Z at 10:02
// from the overview" once, not 256 near-identical rows per reload; and nothing is shown
// that no row names. A thumbnail requested without a valid view id (a bookmarked image
// URL, another account's link, an expired page) writes its own row.
import { randomBytes } from 'node:crypto';
import type { PageRequest } from '../contract.js';

export const VIEW_TTL_MS = 10 * 60_000;
const MAX_GRANTS = 5000;

interface Grant {
  user: string;
  cameras: ReadonlySet<string>;
  expiresMs: number;
}

export class ViewGrants {
  private readonly grants = new Map<string, Grant>();

  grant(user: string, cameras: readonly string[], nowMs: number): string {
    this.prune(nowMs);
    const id = randomBytes(12).toString('base64url');
    this.grants.set(id, { user, cameras: new Set(cameras), expiresMs: nowMs + VIEW_TTL_MS });
    return id;
  }

  covers(id: string | null, user: string, cameraId: string, nowMs: number): boolean {
    if (!id) return false;
    const g = this.grants.get(id);
    return g !== undefined && g.user === user && g.expiresMs > nowMs && g.cameras.has(cameraId);
  }

  private prune(nowMs: number): void {
    for (const [id, g] of this.grants) if (g.expiresMs <= nowMs) this.grants.delete(id);
    // Oldest first (insertion order) when a flood of page views fills the table.
    while (this.grants.size >= MAX_GRANTS) {
      const first = this.grants.keys().next().value;
      if (first === undefined) break;
      this.grants.delete(first);
    }
  }
}

/** How a console account appears in the access register. */
export function consoleRequester(req: PageRequest): string {
  return `console:${req.user.name}`;
}

/**
 * Registers one viewing of the pictures of `cameras` from `page` and returns the view id
 * the page's image URLs carry; null (nothing registered) when no picture is shown.
 */
export function registerView(req: PageRequest, grants: ViewGrants, cameras: readonly string[], page: string): string | null {
  if (cameras.length === 0) return null;
  const nowMs = req.services.now().getTime();
  const viewId = grants.grant(req.user.name, cameras, nowMs);
  req.services.registerAccess({
    verb: 'console.view',
    cameras: [...cameras],
    requester: consoleRequester(req),
    purpose: null,
    detail: { page, viewId, role: req.user.role, pictures: cameras.length },
  });
  return viewId;
}
