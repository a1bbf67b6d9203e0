/**
 * Node view (`#/nodes/<id>?range=24h`): one node's identity and health, its expected vs reported ring
 * neighbours (mismatches highlighted), findings and signals, threads, connections, metric charts over
 * the range in the URL, and its logs (pull, search, download). Refreshed on each finished crawl.
 */
import { isApiError } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { count, duration, shortId } from '../format.js';
import { roleAtLeast } from '../roles.js';
import { formatHash } from '../router.js';
import { RANGES, isRange, type RangeKey } from '../types.js';
import { empty, failure, loading } from '../ui.js';
import type { ViewContext, ViewDef, ViewHandle } from '../view.js';
import { endpoints } from './endpoints.js';
import { createNodeCharts } from './node-charts.js';
import { createLogsPanel, type LogsPanel } from './node-logs.js';
import { connections, header, neighbours, threads, timeline } from './node-panels.js';
import { segLinks } from './widgets.js';

const DEFAULT_RANGE: RangeKey = '24h';

function mount(host: HTMLElement, first: ViewContext): ViewHandle {
  let ctx = first;
  const ep = endpoints(ctx.api);
  const key = ctx.params.id ?? '';
  let range: RangeKey = isRange(ctx.route.query.range) ? ctx.route.query.range : DEFAULT_RANGE;
  let detailSeq = 0;
  let seriesSeq = 0;
  let logs: LogsPanel | null = null;

  const titleId = h('span', { class: 'mono' }, shortId(key));
  const title = h('h1', {}, 'Node ', titleId);
  const body = h('div', { class: 'node-body' }, loading('Loading the node…'));
  const head = h('div', {});
  const grid = h('div', { class: 'node-grid' });
  const leftCol = h('div', { class: 'node-col' });
  const rightCol = h('div', { class: 'node-col' });
  grid.append(leftCol, rightCol);
  const rangeBar = h('div', {});
  const chartNote = h('p', { class: 'muted chart-note', 'aria-live': 'polite' });
  const chartGrid = h('div', { class: 'charts', id: 'node-charts' });
  const charts = createNodeCharts(chartGrid, ctx.theme);
  const metrics = h(
    'section',
    { class: 'history', 'aria-labelledby': 'node-metrics-title' },
    h('div', { class: 'history-head' }, h('h2', { id: 'node-metrics-title' }, 'Metrics'), rangeBar),
    chartNote,
    chartGrid,
  );
  const logsHost = h('div', {});
  replace(
    host,
    h('div', { class: 'view-head' }, title, h('a', { href: formatHash('nodes'), class: 'btn' }, 'All nodes')),
    body,
  );

  function renderRange() {
    replace(
      rangeBar,
      segLinks(
        'Chart range',
        (Object.keys(RANGES) as RangeKey[]).map((r) => [r, r] as const),
        range,
        (r) => formatHash(`nodes/${encodeURIComponent(key)}`, { range: r }),
        (r) => `node-range-${r}`,
      ),
    );
  }

  async function loadDetail() {
    const my = ++detailSeq;
    try {
      const d = await ep.node(key, ctx.signal);
      if (my !== detailSeq || ctx.signal.aborted) return;
      const now = ctx.now();
      titleId.textContent = d.nodeId ? shortId(d.nodeId) : d.key;
      replace(head, header(d, now));
      replace(leftCol, neighbours(d), connections(d));
      replace(rightCol, timeline(d), threads(d));
      if (!logs) {
        logs = createLogsPanel({
          ep,
          nodeKey: d.key,
          canPull: roleAtLeast(ctx.me.principal.role, 'operator'),
          signal: ctx.signal,
        });
        logsHost.append(logs.el);
      }
      if (body.firstChild !== head) {
        replace(body, head, grid, metrics, logsHost);
        renderRange();
        void loadSeries();
      }
    } catch (err) {
      if (my !== detailSeq || ctx.signal.aborted) return;
      if (body.firstChild === head) return; // keep what is shown; the next crawl tries again
      replace(
        body,
        isApiError(err, 'not_found', 'bad_request')
          ? empty(`No node “${key}”`, 'It was never seen by a crawl, or the address is mistyped.')
          : failure(err, () => void loadDetail()),
      );
    }
  }

  async function loadSeries() {
    const my = ++seriesSeq;
    chartNote.textContent = 'Loading metrics…';
    try {
      const s = await ep.series(key, range, ctx.signal);
      if (my !== seriesSeq || ctx.signal.aborted) return;
      charts.show(s, range, ctx.now());
      const n = Math.max(0, ...Object.values(s.series).map((p) => p.length));
      chartNote.textContent =
        `${count(n)} ${n === 1 ? 'point' : 'points'} in the last ${range}` +
        (s.bucketMs ? `, averaged over ${duration(s.bucketMs)}` : '') +
        (s.sampleIntervalMs ? `; one sample every ${duration(s.sampleIntervalMs)}` : '') +
        '. Rates are per second.';
    } catch (err) {
      if (my !== seriesSeq || ctx.signal.aborted) return;
      chartNote.textContent = '';
      replace(
        chartGrid,
        failure(err, () => {
          chartGrid.replaceChildren();
          void loadSeries();
        }),
      );
    }
  }

  const refresh = debounce(() => {
    void loadDetail();
    if (body.firstChild === head) void loadSeries();
  }, 500);
  const offs = [
    ctx.live.on('crawl:finished', () => refresh()),
    ctx.live.on('logs:pulled', (p) => {
      if (logs && (p.nodeKey === key || p.nodeKey === key.toLowerCase())) logs.refreshList();
    }),
    ctx.theme.onChange(() => charts.restyle()),
  ];
  void loadDetail();

  return {
    update(next) {
      ctx = next;
      const r = isRange(next.route.query.range) ? next.route.query.range : DEFAULT_RANGE;
      if (r !== range) {
        range = r;
        renderRange();
        void loadSeries();
      }
    },
    destroy() {
      refresh.cancel();
      for (const off of offs) off();
      charts.destroy();
      logs?.destroy();
    },
  };
}

export const nodeView: ViewDef = {
  id: 'node',
  pattern: 'nodes/:id',
  title: 'Node',
  mount,
};
