/**
 * Relays view (`#/relays?crawl=12`): which nodes relay connections between NAT'd pairs and what it
 * costs. Relays ranked by relayed connections (bars + table), relay RTT against the direct path
 * (scatter), and every relayed connection. A crawl picker shows any crawl with a retained topology;
 * without one the view follows the latest crawl live.
 */
import { isApiError } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { count, dateTime, duration, shortId } from '../format.js';
import { formatHash, nodeHash } from '../router.js';
import type { CrawlRecord } from '../types.js';
import { empty, failure, loading, stat } from '../ui.js';
import type { ViewContext, ViewDef, ViewHandle } from '../view.js';
import { endpoints, type RelayEdge, type RelayReport } from './endpoints.js';
import { createRelayCharts } from './relay-charts.js';
import { panel, table } from './widgets.js';

/** Relayed connections listed at most (the rest are counted). */
const MAX_EDGES = 500;

const link = (key: string) => h('a', { href: nodeHash(key), class: 'mono', title: key }, shortId(key));

function edgeRow(e: RelayEdge): HTMLTableRowElement {
  const base = e.directRttMs ?? e.legsRttMs;
  const extra = e.rttMs !== null && base !== null ? e.rttMs - base : null;
  return h(
    'tr',
    {},
    h('td', {}, link(e.from)),
    h('td', {}, link(e.to)),
    h('td', {}, link(e.via)),
    h('td', { class: 'num' }, duration(e.rttMs)),
    h('td', { class: 'num' }, duration(e.directRttMs)),
    h('td', { class: 'num' }, duration(e.legsRttMs)),
    h('td', { class: 'num' }, extra === null ? '—' : `${extra >= 0 ? '+' : '−'}${duration(Math.abs(extra))}`),
  );
}

function mount(host: HTMLElement, first: ViewContext): ViewHandle {
  let ctx = first;
  const ep = endpoints(ctx.api);
  const crawlOf = (q: Record<string, string>) => {
    const n = Number(q.crawl);
    return Number.isInteger(n) && n > 0 ? n : null;
  };
  let crawl = crawlOf(ctx.route.query);
  let seq = 0;
  let crawls: CrawlRecord[] = [];

  const picker = h('select', { id: 'relay-crawl' });
  const status = h('p', { class: 'muted', id: 'relays-status', 'aria-live': 'polite' });
  const stats = h('section', { class: 'stats', id: 'relay-stats', 'aria-label': 'Relays at a glance' });
  const chartGrid = h('div', { class: 'charts' });
  const charts = createRelayCharts(chartGrid, ctx.theme);
  const ranks = h('div', {});
  const edges = h('div', {});
  const content = h(
    'div',
    { hidden: true },
    stats,
    chartGrid,
    panel('relay-ranking', 'Relays ranked by relayed connections', ranks),
    panel('relay-edges', 'Relayed connections', edges),
  );
  const state = h('div', {}, loading('Loading relays…'));
  replace(
    host,
    h(
      'div',
      { class: 'view-head' },
      h('h1', {}, 'Relays'),
      status,
      h(
        'div',
        { class: 'field field-inline push-right' },
        h('label', { for: 'relay-crawl' }, 'Crawl'),
        picker,
      ),
    ),
    state,
    content,
  );

  function renderPicker() {
    const viewable = crawls.filter((c) => c.data === 'raw');
    const options = [
      h('option', { value: '', selected: crawl === null }, 'Latest (live)'),
      ...viewable.map((c) =>
        h('option', { value: String(c.id), selected: c.id === crawl }, `#${c.id} · ${dateTime(c.startedAt)}`),
      ),
    ];
    if (crawl !== null && !viewable.some((c) => c.id === crawl))
      options.push(h('option', { value: String(crawl), selected: true }, `#${crawl}`));
    replace(picker, options);
  }

  function render(r: RelayReport) {
    replace(
      status,
      `Crawl #${r.crawlId} · ${dateTime(r.startedAt)}`,
      crawl === null ? [' ', h('span', { class: 'tag tag-live' }, 'live')] : null,
    );
    const rtts = r.relays.map((x) => x.avgRttMs).filter((v): v is number => v !== null);
    replace(
      stats,
      stat('Relayed connections', count(r.relayedConnections), { id: 'stat-relayed' }),
      stat('Nodes using a relay', count(r.relayedNodes), { id: 'stat-relayed-nodes' }),
      stat('Relays', count(r.relays.length), { id: 'stat-relays' }),
      stat('Avg relay RTT', rtts.length ? duration(rtts.reduce((a, b) => a + b, 0) / rtts.length) : '—', {
        id: 'stat-relay-rtt',
      }),
    );
    content.hidden = false;
    state.replaceChildren();
    charts.show(r);
    if (r.relays.length === 0)
      replace(ranks, empty('No relays', 'No node relayed a connection in this crawl.'));
    else
      replace(
        ranks,
        table(
          {
            id: 'relays-table',
            caption: 'Relays ranked by the connections they relay',
            columns: [
              { label: 'Rank', num: true },
              { label: 'Relay' },
              { label: 'Connections', num: true },
              { label: 'Nodes', num: true },
              { label: 'Avg relay RTT', num: true },
              { label: 'Avg legs RTT', num: true },
              { label: 'Avg direct RTT', num: true },
            ],
          },
          r.relays.map((x, i) =>
            h(
              'tr',
              { 'data-relay': x.via },
              h('td', { class: 'num' }, count(i + 1)),
              h('th', { scope: 'row' }, link(x.via)),
              h('td', { class: 'num' }, count(x.connections)),
              h('td', { class: 'num' }, count(x.nodes)),
              h('td', { class: 'num' }, duration(x.avgRttMs)),
              h('td', { class: 'num' }, duration(x.avgLegsRttMs)),
              h('td', { class: 'num' }, duration(x.avgDirectRttMs)),
            ),
          ),
        ).wrap,
      );
    if (r.edges.length === 0) replace(edges, empty('No relayed connections'));
    else
      replace(
        edges,
        table(
          {
            id: 'relay-edges-table',
            caption: 'Relayed connections as the first node reported them',
            columns: [
              { label: 'From' },
              { label: 'To' },
              { label: 'Via' },
              { label: 'Relay RTT', num: true },
              { label: 'Direct RTT', num: true },
              { label: 'Legs RTT', num: true },
              { label: 'Relay cost', num: true },
            ],
          },
          r.edges.slice(0, MAX_EDGES).map(edgeRow),
        ).wrap,
        r.edges.length > MAX_EDGES
          ? h(
              'p',
              { class: 'muted' },
              `${count(r.edges.length - MAX_EDGES)} more relayed connections not listed.`,
            )
          : null,
      );
  }

  async function load() {
    const my = ++seq;
    if (content.hidden) replace(state, loading('Loading relays…'));
    try {
      const r = await ep.relays(crawl, ctx.signal);
      if (my !== seq || ctx.signal.aborted) return;
      render(r);
    } catch (err) {
      if (my !== seq || ctx.signal.aborted) return;
      content.hidden = true;
      charts.destroy();
      replace(status, '');
      replace(
        state,
        isApiError(err, 'not_found')
          ? empty(
              crawl === null ? 'No crawl yet' : `Crawl #${crawl} cannot be shown`,
              crawl === null
                ? 'Relays appear here after the first crawl is recorded.'
                : 'Its topology is not retained (or it was never recorded). Pick another crawl.',
            )
          : failure(err, () => void load()),
      );
    }
  }

  async function loadCrawls() {
    try {
      const page = await ctx.api.crawls({ limit: 100 }, ctx.signal);
      if (ctx.signal.aborted) return;
      crawls = page.items;
      renderPicker();
    } catch {
      // the picker keeps "Latest"; the list is tried again after the next crawl
    }
  }

  picker.addEventListener('change', () => {
    ctx.setQuery({ crawl: picker.value || null }, { replace: false });
  });

  const refresh = debounce(() => {
    void loadCrawls();
    if (crawl === null) void load();
  }, 500);
  const offs = [ctx.live.on('crawl:finished', () => refresh()), ctx.theme.onChange(() => charts.restyle())];

  renderPicker();
  void load();
  void loadCrawls();

  return {
    update(next) {
      ctx = next;
      const c = crawlOf(next.route.query);
      if (c !== crawl) {
        crawl = c;
        renderPicker();
        void load();
      }
    },
    destroy() {
      refresh.cancel();
      for (const off of offs) off();
      charts.destroy();
    },
  };
}

export const relaysView: ViewDef = {
  id: 'relays',
  pattern: 'relays',
  title: 'Relays',
  nav: { label: 'Relays', order: 50 },
  mount,
};

/** A link to the relays of one crawl. */
export const relaysHash = (crawl?: number | null) => formatHash('relays', { crawl });
