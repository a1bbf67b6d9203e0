/**
 * Nodes view (`#/nodes?state=persistent&prefix=ab&cursor=…`): every node of the latest crawl plus the
 * lost ones, filtered by state (chips with counts) and node-ID prefix, in keyset pages. A row opens
 * the node's page. Reloads on each finished crawl.
 */
import { debounce, h, replace } from '../dom.js';
import { count, shortId } from '../format.js';
import { formatHash, nodeHash } from '../router.js';
import { HEALTHS, type NodeHealth } from '../types.js';
import { empty, failure, loading } from '../ui.js';
import type { ViewContext, ViewDef, ViewHandle } from '../view.js';
import { endpoints, type NodeSummary } from './endpoints.js';
import { HEALTH_TEXT } from './ring-panels.js';
import { healthBadge, table } from './widgets.js';

const PAGE = 100;
/** Counts are read with one page of this size per state; more shows as "1,000+". */
const COUNT_LIMIT = 1000;

interface Filter {
  state: NodeHealth | null;
  prefix: string;
  cursor: string | null;
}

const isHealth = (s: string | undefined): s is NodeHealth =>
  s !== undefined && (HEALTHS as readonly string[]).includes(s);

function filterOf(q: Record<string, string>): Filter {
  const prefix = (q.prefix ?? '').trim().toLowerCase();
  return {
    state: isHealth(q.state) ? q.state : null,
    prefix: /^[0-9a-f]{1,40}$/.test(prefix) ? prefix : '',
    cursor: q.cursor || null,
  };
}

function row(n: NodeSummary): HTMLTableRowElement {
  const href = nodeHash(n.key);
  return h(
    'tr',
    { 'data-key': n.key, class: `node-row state-${n.state}` },
    h(
      'th',
      { scope: 'row' },
      h('a', { href, class: 'mono', title: n.key }, n.nodeId ? shortId(n.nodeId) : n.key),
    ),
    h('td', { class: 'wrap-cell' }, n.endpoint ?? '—'),
    h(
      'td',
      {},
      healthBadge(n.state),
      n.flags
        .filter((f) => f !== n.state && f !== 'ok')
        .map((f) => h('span', { class: 'chip' }, HEALTH_TEXT[f])),
    ),
    h('td', { class: 'num' }, n.score === null ? '—' : count(n.score)),
    h('td', { class: 'num' }, n.ring === null ? '—' : count(n.ring)),
    h('td', { class: 'num' }, n.lastSeenCrawl === null ? '—' : `#${n.lastSeenCrawl}`),
    h(
      'td',
      {},
      n.stalledThreads.length ? n.stalledThreads.join(', ') : h('span', { class: 'muted' }, 'none'),
    ),
  );
}

function mount(host: HTMLElement, first: ViewContext): ViewHandle {
  let ctx = first;
  const ep = endpoints(ctx.api);
  let filter = filterOf(ctx.route.query);
  /** Cursors of the pages before the current one (for "Previous"). */
  let back: (string | null)[] = [];
  let seq = 0;
  const counts = new Map<NodeHealth, string>();

  const chips = h('div', {
    class: 'chips',
    role: 'group',
    'aria-label': 'Filter by state',
    id: 'state-chips',
  });
  const search = h('input', {
    type: 'search',
    id: 'node-prefix',
    placeholder: 'Node ID prefix (hex)',
    autocomplete: 'off',
    spellcheck: 'false',
    value: filter.prefix,
    'aria-describedby': 'node-prefix-hint',
  });
  const hint = h('span', { class: 'field-hint', id: 'node-prefix-hint' }, 'Hex digits of the node ID');
  const summary = h('p', { class: 'muted', id: 'nodes-summary', 'aria-live': 'polite' });
  const body = h('div', {}, loading('Loading nodes…'));
  const prev = h('button', { type: 'button', class: 'btn', id: 'nodes-prev' }, '← Previous');
  const next = h('button', { type: 'button', class: 'btn', id: 'nodes-next' }, 'Next →');
  const pager = h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, next);
  replace(
    host,
    h('div', { class: 'view-head' }, h('h1', {}, 'Nodes'), summary),
    h(
      'div',
      { class: 'toolbar' },
      chips,
      h('div', { class: 'field field-inline' }, h('label', { for: 'node-prefix' }, 'Search'), search, hint),
    ),
    body,
    pager,
  );

  function renderChips() {
    const item = (state: NodeHealth | null, label: string) => {
      const n = state ? counts.get(state) : undefined;
      return h(
        'a',
        {
          class: `chip-filter${state ? ` chip-${state}` : ''}`,
          id: `chip-${state ?? 'all'}`,
          href: formatHash('nodes', { state, prefix: filter.prefix || null }),
          'aria-current': filter.state === state ? 'true' : null,
        },
        state ? h('span', { class: `swatch swatch-${state}`, 'aria-hidden': 'true' }) : null,
        label,
        n !== undefined ? h('span', { class: 'chip-count' }, n) : null,
      );
    };
    replace(
      chips,
      item(null, 'All'),
      HEALTHS.map((s) => item(s, HEALTH_TEXT[s])),
    );
  }

  async function loadCounts() {
    const results = await Promise.allSettled(
      HEALTHS.map((state) => ep.nodes({ state, limit: COUNT_LIMIT }, ctx.signal)),
    );
    if (ctx.signal.aborted) return;
    HEALTHS.forEach((s, i) => {
      const r = results[i]!;
      if (r.status === 'fulfilled')
        counts.set(s, `${count(r.value.items.length)}${r.value.nextCursor ? '+' : ''}`);
    });
    renderChips();
  }

  async function load() {
    const my = ++seq;
    if (!body.querySelector('table')) replace(body, loading('Loading nodes…'));
    try {
      const page = await ep.nodes(
        {
          state: filter.state ?? undefined,
          prefix: filter.prefix || undefined,
          limit: PAGE,
          cursor: filter.cursor,
        },
        ctx.signal,
      );
      if (my !== seq || ctx.signal.aborted) return;
      prev.disabled = filter.cursor === null;
      next.disabled = page.nextCursor === null;
      next.dataset.cursor = page.nextCursor ?? '';
      pager.hidden = filter.cursor === null && page.nextCursor === null;
      const noun = page.items.length === 1 ? 'node' : 'nodes';
      const what = filter.state ? `${HEALTH_TEXT[filter.state].toLowerCase()} ${noun}` : noun;
      summary.textContent =
        `${count(page.items.length)} ${what}${filter.prefix ? ` with an ID starting ${filter.prefix}` : ''}` +
        (page.nextCursor || filter.cursor ? ' on this page' : '');
      if (page.items.length === 0) {
        replace(
          body,
          filter.state || filter.prefix
            ? empty('No node matches', 'Change the state filter or the ID prefix.')
            : empty('No nodes yet', 'Nodes appear here after the first crawl.'),
        );
        return;
      }
      const t = table(
        {
          id: 'nodes-table',
          caption: 'Nodes, by key; each row links to the node',
          columns: [
            { label: 'Node' },
            { label: 'Address' },
            { label: 'State' },
            { label: 'Score', num: true },
            { label: 'Ring', num: true },
            { label: 'Last seen', num: true },
            { label: 'Stalled threads' },
          ],
        },
        page.items.map(row),
      );
      replace(body, t.wrap);
    } catch (err) {
      if (my !== seq || ctx.signal.aborted) return;
      pager.hidden = true;
      replace(
        body,
        failure(err, () => void load()),
      );
    }
  }

  // A click anywhere on a row opens the node (the ID link is the keyboard way).
  body.addEventListener('click', (e) => {
    const target = e.target as HTMLElement;
    if (target.closest('a')) return;
    const tr = target.closest<HTMLTableRowElement>('tr[data-key]');
    if (tr?.dataset.key) ctx.navigate(nodeHash(tr.dataset.key));
  });

  const applyPrefix = debounce(() => {
    const v = search.value.trim().toLowerCase();
    if (v !== '' && !/^[0-9a-f]{1,40}$/.test(v)) {
      search.setAttribute('aria-invalid', 'true');
      hint.textContent = 'Only hex digits (0-9, a-f), at most 40';
      return;
    }
    search.removeAttribute('aria-invalid');
    hint.textContent = 'Hex digits of the node ID';
    ctx.setQuery({ prefix: v || null, cursor: null });
  }, 250);
  search.addEventListener('input', () => applyPrefix());
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') applyPrefix();
  });
  next.addEventListener('click', () => {
    if (!next.dataset.cursor) return;
    back.push(filter.cursor);
    ctx.setQuery({ cursor: next.dataset.cursor }, { replace: false });
  });
  prev.addEventListener('click', () => {
    const before = back.length ? back.pop()! : null;
    ctx.setQuery({ cursor: before }, { replace: false });
  });

  const reload = debounce(() => {
    void load();
    void loadCounts();
  }, 500);
  const off = ctx.live.on('crawl:finished', () => reload());

  renderChips();
  void load();
  void loadCounts();

  return {
    update(nextCtx) {
      ctx = nextCtx;
      const f = filterOf(ctx.route.query);
      if (f.state !== filter.state || f.prefix !== filter.prefix) back = [];
      filter = f;
      if (document.activeElement !== search) search.value = f.prefix;
      renderChips();
      void load();
    },
    destroy() {
      off();
      reload.cancel();
      applyPrefix.cancel();
    },
  };
}

export const nodesView: ViewDef = {
  id: 'nodes',
  pattern: 'nodes',
  title: 'Nodes',
  nav: { label: 'Nodes', order: 40 },
  mount,
};
