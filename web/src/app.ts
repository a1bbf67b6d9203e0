/**
 * The app controller: session (who is signed in), the shell, the live client, shared summary state,
 * and hash routing to the registered views. Signed out, it shows the login page and comes back to
 * the route that was asked for.
 */
import { createApi, isApiError, type Api } from './api.js';
import { debounce, h, replace } from './dom.js';
import { createLive, type LiveClient } from './live.js';
import { formatHash, matchPattern, parseHash, type Route } from './router.js';
import { roleAtLeast } from './roles.js';
import { createShell, type Shell } from './shell.js';
import type { Theme } from './theme.js';
import type { Me, Summary } from './types.js';
import { empty, failure, loading } from './ui.js';
import type { AppState, ViewContext, ViewDef, ViewHandle } from './view.js';
import { renderLogin } from './views/login.js';

export interface AppDeps {
  root: HTMLElement;
  theme: Theme;
  views: readonly ViewDef[];
  /** Seams for tests; default the real ones. */
  api?: (onUnauthenticated: () => void) => Api;
  live?: (onUnauthenticated: () => void) => LiveClient;
  now?: () => number;
}

interface Session {
  me: Me;
  shell: Shell;
  live: LiveClient;
  state: AppState;
  offs: (() => void)[];
  current: {
    def: ViewDef;
    params: Record<string, string>;
    handle: ViewHandle;
    ctx: ViewContext;
    abort: AbortController;
  } | null;
}

const DEFAULT_ROUTE = 'overview';

/** Contract: start() boots once (probe session → shell or login) and then follows `hashchange`. */
export function createApp(deps: AppDeps): { start(): Promise<void> } {
  const now = deps.now ?? (() => Date.now());
  let session: Session | null = null;
  let booting: Promise<void> | null = null;
  const api = (deps.api ?? ((cb) => createApi({ onUnauthenticated: cb })))(() => signedOut());

  function signedOut() {
    if (!session) return;
    const next = location.hash && !location.hash.startsWith('#/login') ? location.hash : '';
    endSession();
    location.hash = formatHash('login', { next: next || null });
  }

  function endSession() {
    const s = session;
    if (!s) return;
    session = null;
    leaveView(s);
    for (const off of s.offs) off();
    s.live.close();
    s.shell.destroy();
  }

  function leaveView(s: Session) {
    if (!s.current) return;
    s.current.abort.abort();
    try {
      s.current.handle.destroy?.();
    } catch (err) {
      console.warn('view destroy failed', err);
    }
    s.current = null;
  }

  function makeState(live: LiveClient): { state: AppState; offs: (() => void)[] } {
    let summary: Summary | null = null;
    const subs = new Set<(s: Summary) => void>();
    const refresh = async () => {
      try {
        summary = await api.summary();
        session?.shell.setSummary(summary);
        for (const cb of [...subs]) cb(summary);
      } catch (err) {
        if (!isApiError(err, 'unauthenticated', 'network')) console.warn('summary failed', err);
      }
    };
    const soon = debounce(() => void refresh(), 200);
    const offs = [
      live.on('crawl:finished', () => soon()),
      live.on('alert:changed', () => soon()),
      live.on('resync', () => soon()),
      () => soon.cancel(),
    ];
    return {
      state: {
        summary: () => summary,
        onSummary: (cb) => (subs.add(cb), () => subs.delete(cb)),
        refreshSummary: refresh,
      },
      offs,
    };
  }

  async function begin(): Promise<void> {
    replace(deps.root, h('div', { class: 'boot' }, loading('Connecting to Ringwatch…')));
    let me: Me;
    try {
      me = await api.me();
    } catch (err) {
      if (isApiError(err, 'unauthenticated')) {
        const r = parseHash(location.hash);
        if (r.path !== 'login') location.hash = formatHash('login', { next: location.hash || null });
        else showLogin();
        return;
      }
      replace(
        deps.root,
        h(
          'div',
          { class: 'boot' },
          failure(err, () => route()),
        ),
      );
      return;
    }
    const live = (
      deps.live ?? ((cb) => createLive({ onUnauthenticated: cb, onError: (e) => console.warn(e) }))
    )(() => signedOut());
    const shell = createShell({
      root: deps.root,
      me,
      theme: deps.theme,
      live,
      views: deps.views,
      onLogout: () => void logout(),
    });
    const { state, offs } = makeState(live);
    session = { me, shell, live, state, offs, current: null };
    live.start();
    void state.refreshSummary();
    route();
  }

  async function logout() {
    try {
      await api.logout();
    } catch {
      // signed out locally either way
    }
    endSession();
    location.hash = formatHash('login');
  }

  function showLogin() {
    const r = parseHash(location.hash);
    const next =
      r.query.next && r.query.next.startsWith('#/') && !r.query.next.startsWith('#/login')
        ? r.query.next
        : formatHash(DEFAULT_ROUTE);
    renderLogin(deps.root, {
      api,
      onSignedIn: () => {
        location.hash = next;
      },
    });
  }

  function route() {
    const r: Route = parseHash(location.hash);
    if (r.path === 'login') {
      if (session) {
        location.replace(formatHash(DEFAULT_ROUTE));
        return;
      }
      showLogin();
      return;
    }
    if (!session) {
      booting ??= begin().finally(() => {
        booting = null;
      });
      return;
    }
    if (r.path === '') {
      location.replace(formatHash(DEFAULT_ROUTE));
      return;
    }
    const s = session;
    let found: { def: ViewDef; params: Record<string, string> } | null = null;
    for (const def of deps.views) {
      const params = matchPattern(def.pattern, r.path);
      if (params) {
        found = { def, params };
        break;
      }
    }
    if (
      s.current &&
      found &&
      s.current.def === found.def &&
      sameParams(s.current.params, found.params) &&
      s.current.handle.update
    ) {
      s.current.ctx.route = r;
      s.current.handle.update(s.current.ctx);
      return;
    }
    leaveView(s);
    const main = s.shell.main;
    main.replaceChildren();
    main.className = '';
    if (!found) {
      s.shell.setActive(null);
      document.title = 'Not found · Ringwatch';
      main.append(
        h('h1', {}, 'Page not found'),
        empty(`Nothing lives at “#/${r.path}”.`, 'Use the navigation above, or go back.'),
      );
      return;
    }
    const { def, params } = found;
    s.shell.setActive(def.id);
    document.title = `${def.title} · Ringwatch`;
    main.classList.add('view', `view-${def.id}`);
    if (!roleAtLeast(s.me.principal.role, def.role ?? 'viewer')) {
      main.append(h('h1', {}, def.title), empty('Not allowed', `This page needs the ${def.role} role.`));
      return;
    }
    const abort = new AbortController();
    const ctx: ViewContext = {
      api,
      live: s.live,
      theme: deps.theme,
      app: s.state,
      me: s.me,
      route: r,
      params,
      navigate: (hash, o) => (o?.replace ? location.replace(hash) : (location.hash = hash)),
      setQuery: (patch, o) => {
        const q: Record<string, string | number | null | undefined> = {
          ...parseHash(location.hash).query,
          ...patch,
        };
        const hash = formatHash(parseHash(location.hash).path, q);
        if (o?.replace === false) location.hash = hash;
        else location.replace(hash);
      },
      signal: abort.signal,
      now,
    };
    try {
      const handle = def.mount(main, ctx);
      s.current = { def, params, handle, ctx, abort };
    } catch (err) {
      main.append(failure(err));
    }
  }

  return {
    async start() {
      window.addEventListener('hashchange', () => route());
      route();
      await Promise.resolve();
    },
  };
}

function sameParams(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}
