/**
 * The app shell around every signed-in view: skip link, header (brand, ring health badge, live
 * connection status, theme toggle, user menu), navigation built from the view registry, and <main>.
 */
import { h, replace } from './dom.js';
import { ringHealth } from './health.js';
import type { LiveClient, LiveStatus } from './live.js';
import type { Theme, ThemeChoice } from './theme.js';
import type { Me, Summary } from './types.js';
import type { ViewDef } from './view.js';
import { roleAtLeast } from './roles.js';

export interface Shell {
  /** Where views render. */
  main: HTMLElement;
  /** Mark the nav entry of the shown view (aria-current). */
  setActive(viewId: string | null): void;
  setSummary(s: Summary | null): void;
  destroy(): void;
}

export interface ShellDeps {
  root: HTMLElement;
  me: Me;
  theme: Theme;
  live: LiveClient;
  views: readonly ViewDef[];
  onLogout(): void;
}

const STATUS_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

const THEME_TEXT: Record<ThemeChoice, string> = { system: 'Auto', light: 'Light', dark: 'Dark' };

export function createShell(deps: ShellDeps): Shell {
  const { me, theme, live } = deps;
  const badge = h('a', { class: 'badge badge-unknown', id: 'ring-health', href: '#/overview' }, 'Loading');
  const conn = h('span', { class: 'conn', id: 'live-status', role: 'status', 'aria-live': 'polite' });
  let summary: Summary | null = null;
  /** The badge shows the last known health; while disconnected it is marked stale. */
  const showBadge = () => {
    const r = ringHealth(summary);
    const stale = live.status() !== 'live' && summary !== null;
    badge.className = `badge badge-${r.level}${stale ? ' badge-stale' : ''}`;
    const why = stale ? `${r.reason} (last known: no live updates right now)` : r.reason;
    badge.title = why;
    badge.setAttribute('aria-label', `Ring health: ${r.label}. ${why}`);
    replace(badge, r.label);
  };
  const showStatus = (s: LiveStatus) => {
    showBadge();
    conn.className = `conn conn-${s}`;
    conn.title =
      s === 'live'
        ? 'Receiving live updates'
        : s === 'offline'
          ? 'No live updates: the server cannot be reached'
          : 'Trying to reach the server';
    replace(conn, h('span', { class: 'dot', 'aria-hidden': 'true' }), STATUS_TEXT[s]);
  };
  showStatus(live.status());
  const offStatus = live.onStatus(showStatus);

  const themeBtn = h('button', { type: 'button', class: 'btn btn-ghost', id: 'theme-toggle' });
  const showTheme = () => {
    const c = theme.choice();
    replace(
      themeBtn,
      h('span', { 'aria-hidden': 'true', class: 'theme-icon' }, theme.scheme() === 'dark' ? '☾' : '☀'),
      ` ${THEME_TEXT[c]}`,
    );
    themeBtn.setAttribute(
      'aria-label',
      `Colour scheme: ${c === 'system' ? 'following the system' : c}. Change`,
    );
  };
  themeBtn.addEventListener('click', () => theme.cycle());
  const offTheme = theme.onChange(showTheme);
  showTheme();

  const name = me.user?.username ?? me.principal.name;
  const role = me.principal.role;
  const menu = h(
    'details',
    { class: 'user-menu', id: 'user-menu' },
    h(
      'summary',
      { 'aria-label': `Account: ${name}, ${role}` },
      h('span', { class: 'avatar', 'aria-hidden': 'true' }, name.slice(0, 1).toUpperCase()),
      name,
    ),
    h(
      'div',
      { class: 'menu' },
      h('p', {}, h('strong', {}, name)),
      h('p', { class: 'muted' }, `Role: ${role}`),
      h('button', { type: 'button', class: 'btn', id: 'logout', onclick: () => deps.onLogout() }, 'Sign out'),
    ),
  );
  const closeMenu = (e: Event) => {
    if (e instanceof KeyboardEvent && e.key === 'Escape' && menu.open) {
      menu.open = false;
      menu.querySelector('summary')?.focus();
    } else if (e instanceof MouseEvent && menu.open && !menu.contains(e.target as Node)) menu.open = false;
  };
  document.addEventListener('keydown', closeMenu);
  document.addEventListener('click', closeMenu);

  const links = new Map<string, HTMLAnchorElement>();
  const navList = h('ul', {});
  for (const v of [...deps.views]
    .filter((v) => v.nav && roleAtLeast(role, v.role ?? 'viewer'))
    .sort((a, b) => a.nav!.order - b.nav!.order)) {
    const a = h('a', { href: v.nav!.hash ?? `#/${v.pattern}`, id: `nav-${v.id}` }, v.nav!.label);
    links.set(v.id, a);
    navList.append(h('li', {}, a));
  }
  const main = h('main', { id: 'main', tabindex: '-1' });
  replace(
    deps.root,
    h(
      'a',
      { class: 'skip-link', href: '#main', onclick: (e: Event) => (e.preventDefault(), main.focus()) },
      'Skip to content',
    ),
    h(
      'header',
      { class: 'app-header' },
      h(
        'a',
        { class: 'brand', href: '#/overview', 'aria-label': 'Ringwatch home' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }, '◎'),
        'Ringwatch',
      ),
      h('nav', { 'aria-label': 'Main' }, navList),
      h('div', { class: 'header-tools' }, badge, conn, themeBtn, menu),
    ),
    main,
  );

  return {
    main,
    setActive(viewId) {
      for (const [id, a] of links) {
        if (id === viewId) a.setAttribute('aria-current', 'page');
        else a.removeAttribute('aria-current');
      }
    },
    setSummary(s) {
      summary = s;
      showBadge();
    },
    destroy() {
      offStatus();
      offTheme();
      document.removeEventListener('keydown', closeMenu);
      document.removeEventListener('click', closeMenu);
      deps.root.replaceChildren();
    },
  };
}
