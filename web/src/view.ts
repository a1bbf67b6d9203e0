/**
 * What a view is. Adding a view = one module exporting a ViewDef + one line in views/index.ts.
 * The app owns routing, auth and the shell; a view only renders into the element it is given.
 */
import type { Api } from './api.js';
import type { LiveClient } from './live.js';
import type { Route } from './router.js';
import type { Theme } from './theme.js';
import type { Me, Role, Summary } from './types.js';

/** Shared, app-wide state a view may read and watch (kept fresh by the shell). */
export interface AppState {
  /** The latest /summary (null until loaded). */
  summary(): Summary | null;
  onSummary(cb: (s: Summary) => void): () => void;
  /** Fetch /summary again now (after an action); resolves when it is stored. */
  refreshSummary(): Promise<void>;
}

export interface ViewContext {
  api: Api;
  live: LiveClient;
  theme: Theme;
  app: AppState;
  me: Me;
  /** The current route (query included) and the pattern's `:params`. */
  route: Route;
  params: Record<string, string>;
  /** Go to a hash (`#/ring?crawl=3`); replace: no new history entry (for state tweaks like a filter). */
  navigate(hash: string, opts?: { replace?: boolean }): void;
  /** Set query keys of the current route (null removes); replace defaults to true. */
  setQuery(patch: Record<string, string | number | null | undefined>, opts?: { replace?: boolean }): void;
  /** Aborted when the view is left: pass it to fetches, check it after awaits. */
  signal: AbortSignal;
  /** Epoch ms now (a seam for tests of pure parts; views use it for ages). */
  now: () => number;
}

/**
 * Contract: mount() renders into `host` (which the app empties and labels) and returns a handle.
 * When only the query of the route changes (same pattern, same params) the app calls update() if the
 * view has one, else it mounts the view again. destroy() must undo everything the view started outside
 * `host` (live listeners, timers, charts); the app aborts ctx.signal right before it.
 */
export interface ViewHandle {
  update?(ctx: ViewContext): void;
  destroy?(): void;
}

export interface ViewDef {
  /** Stable id, also the CSS hook `view-<id>`. */
  id: string;
  /** Route pattern, `:name` segments are params: 'ring', 'nodes/:id'. */
  pattern: string;
  /** Document title and the view's heading. */
  title: string;
  /** In the navigation bar, ordered by `order` (omit for drill-down views). */
  nav?: { label: string; order: number; hash?: string };
  /** Weakest role that may open it (default viewer). */
  role?: Role;
  mount(host: HTMLElement, ctx: ViewContext): ViewHandle;
}
