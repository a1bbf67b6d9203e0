/**
 * Alerts view (`#/alerts?state=firing`): tabs firing / pending / resolved / silenced with counts; each
 * alert with severity, labels, summary, timing and its dashboard link; operators acknowledge or silence
 * it; its event history on demand. Below: silences (operators expire them) and notification channels
 * (operators send a test). Live: every `alert:changed` reloads what is shown.
 */
import { debounce, h, replace } from '../dom.js';
import { count } from '../format.js';
import { roleAtLeast } from '../roles.js';
import { formatHash } from '../router.js';
import { empty, failure, loading } from '../ui.js';
import type { ViewContext, ViewDef, ViewHandle } from '../view.js';
import { alertTiming, historyDisclosure, openAckDialog, openSilenceDialog } from './alert-actions.js';
import { loadChannels, loadSilences } from './alert-lists.js';
import { endpoints, type AlertView } from './endpoints.js';
import { panel } from './widgets.js';

const TABS = ['firing', 'pending', 'resolved', 'silenced'] as const;
type Tab = (typeof TABS)[number];
const TAB_TEXT: Record<Tab, string> = {
  firing: 'Firing',
  pending: 'Pending',
  resolved: 'Resolved',
  silenced: 'Silenced',
};
const PAGE = 100;

const tabOf = (q: Record<string, string>): Tab =>
  (TABS as readonly string[]).includes(q.state ?? '') ? (q.state as Tab) : 'firing';

/** A dashboard link of an alert: a route of this app (`#/…`) or an absolute http(s) URL. */
function dashboardHref(a: AlertView): string | null {
  const d = a.annotations.dashboard;
  if (!d) return null;
  if (d.startsWith('#/')) return d;
  const hash = d.indexOf('#/');
  if (hash >= 0 && /^https?:\/\//.test(d)) {
    try {
      return new URL(d).origin === location.origin ? d.slice(hash) : d;
    } catch {
      return null;
    }
  }
  return null;
}

function mount(host: HTMLElement, first: ViewContext): ViewHandle {
  let ctx = first;
  const ep = endpoints(ctx.api);
  const operator = roleAtLeast(ctx.me.principal.role, 'operator');
  let tab = tabOf(ctx.route.query);
  let seq = 0;
  let cursor: string | null = null;
  let shown: AlertView[] = [];
  const counts = new Map<Tab, string>();

  const tabs = h('div', { class: 'tabs', role: 'group', 'aria-label': 'Alert states', id: 'alert-tabs' });
  const list = h('div', { id: 'alert-list', 'aria-live': 'polite' }, loading('Loading alerts…'));
  const more = h('button', { type: 'button', class: 'btn', id: 'alerts-more', hidden: true }, 'Load more');
  const silences = h('div', {});
  const channels = h('div', {});
  replace(
    host,
    h('div', { class: 'view-head' }, h('h1', {}, 'Alerts')),
    tabs,
    list,
    more,
    h(
      'div',
      { class: 'alert-side' },
      panel('silences', 'Silences', silences),
      panel('channels', 'Notification channels', channels),
    ),
  );

  function renderTabs() {
    replace(
      tabs,
      TABS.map((t) =>
        h(
          'a',
          {
            class: `tab tab-${t}`,
            id: `tab-${t}`,
            href: formatHash('alerts', { state: t }),
            'aria-current': t === tab ? 'page' : null,
          },
          TAB_TEXT[t],
          h(
            'span',
            { class: 'tab-count', 'aria-label': `${counts.get(t) ?? 'unknown'} alerts` },
            counts.get(t) ?? '…',
          ),
        ),
      ),
    );
  }

  function card(a: AlertView): HTMLElement {
    const now = ctx.now();
    const sev = a.labels.severity ?? 'info';
    const href = dashboardHref(a);
    const labels = Object.entries(a.labels).filter(([k]) => k !== 'alertname' && k !== 'severity');
    const actions = h('div', { class: 'alert-actions' });
    if (operator && a.state === 'firing' && !a.ack)
      actions.append(
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            'data-action': 'ack',
            'aria-label': `Acknowledge ${a.rule} ${a.fingerprint}`,
            onclick: () => openAckDialog(ep, a, () => reloadAll()),
          },
          'Acknowledge',
        ),
      );
    if (operator && a.state !== 'resolved' && a.silencedBy === null)
      actions.append(
        h(
          'button',
          {
            type: 'button',
            class: 'btn',
            'data-action': 'silence',
            'aria-label': `Silence ${a.rule} ${a.fingerprint}`,
            onclick: () => openSilenceDialog(ep, a, ctx.now, () => reloadAll()),
          },
          'Silence…',
        ),
      );
    if (href) actions.append(h('a', { class: 'btn', href, 'data-action': 'dashboard' }, 'Show cause'));
    return h(
      'li',
      {
        class: `alert-card sev-${sev} state-${a.state}`,
        'data-fingerprint': a.fingerprint,
        'data-rule': a.rule,
      },
      h(
        'div',
        { class: 'alert-top' },
        h('span', { class: `sev sev-badge-${sev}` }, sev),
        h('h3', {}, a.rule),
        h('span', { class: `tag tag-${a.state}` }, a.state),
        a.silencedBy !== null
          ? h('span', { class: 'tag', 'data-flag': 'silenced' }, `silenced by #${a.silencedBy}`)
          : null,
        a.inhibitedBy !== null ? h('span', { class: 'tag' }, 'inhibited by a ring-wide alert') : null,
        a.ack
          ? h(
              'span',
              { class: 'tag tag-acked', 'data-flag': 'acked', title: a.ack.comment || 'no comment' },
              `acknowledged by ${a.ack.by}`,
            )
          : null,
      ),
      h('p', { class: 'alert-summary' }, a.annotations.summary ?? a.detail),
      a.annotations.description ? h('p', { class: 'muted' }, a.annotations.description) : null,
      a.ack?.comment ? h('p', { class: 'muted' }, `“${a.ack.comment}” — ${a.ack.by}`) : null,
      h(
        'div',
        { class: 'alert-meta' },
        h('span', {}, alertTiming(a, now)),
        labels.length
          ? h(
              'ul',
              { class: 'labels', 'aria-label': 'Labels' },
              labels.map(([k, v]) =>
                h(
                  'li',
                  { class: 'chip mono', title: `${k}=${v}` },
                  `${k}=${v.length > 16 ? `${v.slice(0, 12)}…` : v}`,
                ),
              ),
            )
          : null,
      ),
      actions.childNodes.length ? actions : null,
      historyDisclosure(ep, a, ctx.signal),
    );
  }

  function renderList() {
    if (shown.length === 0) {
      replace(
        list,
        empty(
          `No ${TAB_TEXT[tab].toLowerCase()} alerts`,
          tab === 'firing' ? 'All quiet. Alerts appear here live as they fire.' : undefined,
        ),
      );
    } else replace(list, h('ul', { class: 'alert-cards' }, shown.map(card)));
    more.hidden = cursor === null;
  }

  async function loadList(append = false) {
    const my = ++seq;
    if (!append && shown.length === 0) replace(list, loading('Loading alerts…'));
    try {
      const page = await ep.alerts(tab, { limit: PAGE, cursor: append ? cursor : null }, ctx.signal);
      if (my !== seq || ctx.signal.aborted) return;
      shown = append ? [...shown, ...page.items] : page.items;
      cursor = page.nextCursor;
      if (!append) counts.set(tab, `${count(page.items.length)}${page.nextCursor ? '+' : ''}`);
      renderTabs();
      renderList();
    } catch (err) {
      if (my !== seq || ctx.signal.aborted) return;
      more.hidden = true;
      replace(
        list,
        failure(err, () => void loadList()),
      );
    }
  }

  async function loadCounts() {
    const rs = await Promise.allSettled(TABS.map((t) => ep.alerts(t, { limit: PAGE }, ctx.signal)));
    if (ctx.signal.aborted) return;
    TABS.forEach((t, i) => {
      const r = rs[i]!;
      if (r.status === 'fulfilled')
        counts.set(t, `${count(r.value.items.length)}${r.value.nextCursor ? '+' : ''}`);
    });
    renderTabs();
  }

  const silenceDeps = {
    ep,
    canEdit: operator,
    signal: ctx.signal,
    now: () => ctx.now(),
    changed: () => reloadAll(),
  };
  function reloadAll() {
    void loadList();
    void loadCounts();
    void loadSilences(silences, silenceDeps);
  }
  const reloadSoon = debounce(reloadAll, 300);

  more.addEventListener('click', () => void loadList(true));
  const offs = [ctx.live.on('alert:changed', () => reloadSoon()), ctx.live.on('resync', () => reloadSoon())];
  // Ages on the cards stay right without a reload.
  const tick = setInterval(() => {
    if (shown.length && !document.querySelector('dialog[open]') && !list.querySelector('details[open]'))
      renderList();
  }, 30_000);

  renderTabs();
  reloadAll();
  void loadChannels(channels, { ep, canTest: operator, signal: ctx.signal });

  return {
    update(next) {
      ctx = next;
      const t = tabOf(next.route.query);
      if (t !== tab) {
        tab = t;
        shown = [];
        cursor = null;
        renderTabs();
        void loadList();
      }
    },
    destroy() {
      clearInterval(tick);
      reloadSoon.cancel();
      for (const off of offs) off();
      document.querySelectorAll<HTMLDialogElement>('dialog.dialog').forEach((d) => d.close());
    },
  };
}

export const alertsView: ViewDef = {
  id: 'alerts',
  pattern: 'alerts',
  title: 'Alerts',
  nav: { label: 'Alerts', order: 60, hash: '#/alerts?state=firing' },
  mount,
};
