/**
 * Ring view: the ring of the latest crawl, updated live in place from crawl deltas, or of any earlier
 * crawl (`#/ring?crawl=12`: time travel, no live updates). `node=<key>` selects a node (its neighbours
 * and the nodes that disagree with it are highlighted); `edges=L1,R1` picks the edge kinds.
 */
import { describeError, isApiError } from '../api.js';
import { h, replace } from '../dom.js';
import { count } from '../format.js';
import type { LiveStatus } from '../live.js';
import { createRingGraph, type RingGraph } from '../ring/graph.js';
import {
  applyDelta,
  applySignals,
  deltaFits,
  emptyModel,
  fromTopology,
  healthOf,
  mergeConnections,
  type ModelChange,
  type RingModel,
} from '../ring/model.js';
import { paletteOf } from '../ring/style.js';
import { formatHash, nodeHash } from '../router.js';
import type { CrawlSummary, WireDelta, WireTopology } from '../types.js';
import { empty, failure, loading } from '../ui.js';
import type { ViewContext, ViewDef, ViewHandle } from '../view.js';
import {
  HEALTH_TEXT,
  createSearch,
  kindsFromQuery,
  kindsToQuery,
  renderLegend,
  renderSelection,
  renderToggles,
  renderUnhealthy,
} from './ring-panels.js';

const LIVE_TEXT: Record<LiveStatus, string> = {
  connecting: 'Connecting to live updates…',
  live: 'Live',
  reconnecting: 'Live updates paused: reconnecting…',
  offline: 'Live updates paused: server unreachable',
};

type Pending = { delta: WireDelta; summary: CrawlSummary | null };

function mount(host: HTMLElement, first: ViewContext): ViewHandle {
  let ctx = first;
  let model: RingModel | null = null;
  let kinds = kindsFromQuery(ctx.route.query.edges);
  let selected: string | null = ctx.route.query.node ?? null;
  let crawlParam = ctx.route.query.crawl ?? null;
  let loadSeq = 0;
  let queue: Pending[] | null = null;
  const offs: (() => void)[] = [];

  const status = h('p', { class: 'ring-status', id: 'ring-status', 'aria-live': 'polite' });
  const canvas = h('div', {
    class: 'ring-canvas',
    id: 'ring-canvas',
    role: 'img',
    'aria-label': 'Ring drawing',
  });
  const tooltip = h('div', { class: 'tooltip', id: 'ring-tooltip', role: 'tooltip', hidden: true });
  const stage = h('div', { class: 'ring-stage' }, canvas, tooltip);
  const overlay = h('div', { class: 'ring-overlay' });
  const legend = h('section', { class: 'panel', 'aria-label': 'Legend' });
  const toggles = h('section', { class: 'panel' });
  const selection = h('section', {
    class: 'panel',
    id: 'ring-selection',
    'aria-live': 'polite',
    hidden: true,
  });
  const table = h('details', { class: 'panel unhealthy', id: 'unhealthy', open: true });
  const search = createSearch(
    () => model,
    (key) => ctx.setQuery({ node: key }, { replace: false }),
  );
  const zoomBar = h(
    'div',
    { class: 'zoom-bar', role: 'group', 'aria-label': 'Zoom' },
    h(
      'button',
      { type: 'button', class: 'btn btn-icon', 'aria-label': 'Zoom in', onclick: () => graph.zoom(1.4) },
      '+',
    ),
    h(
      'button',
      { type: 'button', class: 'btn btn-icon', 'aria-label': 'Zoom out', onclick: () => graph.zoom(1 / 1.4) },
      '−',
    ),
    h(
      'button',
      { type: 'button', class: 'btn btn-icon', 'aria-label': 'Fit the ring', onclick: () => graph.fit() },
      '⤢',
    ),
  );
  replace(
    host,
    h('div', { class: 'view-head' }, h('h1', {}, 'Ring'), status),
    h(
      'div',
      { class: 'ring-layout' },
      h('div', { class: 'ring-main' }, h('div', { class: 'ring-frame' }, stage, overlay, zoomBar)),
      h('aside', { class: 'ring-side', 'aria-label': 'Ring tools' }, search, selection, legend, toggles),
    ),
    table,
  );

  const graph: RingGraph = createRingGraph(canvas, {
    palette: paletteOf(ctx.theme.color),
    kinds,
    onHover: (key, at) => {
      const n = key && model ? model.nodes.get(key) : undefined;
      if (!n || !at) {
        tooltip.hidden = true;
        return;
      }
      replace(
        tooltip,
        h('strong', {}, n.nodeId ? `${n.nodeId.slice(0, 12)}…` : 'unidentified'),
        h('span', {}, n.endpoint ?? '—'),
        h('span', { class: `health-${healthOf(n)}` }, HEALTH_TEXT[healthOf(n)]),
      );
      tooltip.hidden = false;
      tooltip.style.left = `${Math.round(at.x + 12)}px`;
      tooltip.style.top = `${Math.round(at.y + 12)}px`;
    },
    onTap: (key) => ctx.navigate(nodeHash(key)),
    onPainted: () => {
      performance.mark('ringwatch:ring-painted');
      canvas.dataset.painted = String(model?.crawlId ?? '');
    },
    onReady: () => performance.mark('ringwatch:ring-ready'),
  });
  offs.push(ctx.theme.onChange(() => graph.setPalette(paletteOf(ctx.theme.color))));

  const timeTravel = () => crawlParam !== null;

  function showStatus() {
    if (!model) return;
    if (model.crawlId === null) {
      replace(status, 'Waiting for the first crawl');
      return;
    }
    const live = ctx.live.status();
    const parts = [`Crawl #${model.crawlId ?? '—'}`, `${count(model.nodes.size)} nodes`];
    replace(
      status,
      parts.join(' · '),
      ' · ',
      timeTravel()
        ? h(
            'span',
            { class: 'tag tag-history' },
            'Time travel — ',
            h(
              'a',
              { href: formatHash('ring', { node: selected, edges: kindsToQuery(kinds) }) },
              'back to live',
            ),
          )
        : h('span', { class: `tag tag-${live}` }, LIVE_TEXT[live]),
    );
    canvas.setAttribute(
      'aria-label',
      `Ring of ${model.nodes.size} nodes at crawl ${model.crawlId}; the unhealthy nodes are listed in the table below`,
    );
    canvas.dataset.crawl = String(model.crawlId ?? '');
  }

  function refreshPanels() {
    renderLegend(legend, model);
    renderUnhealthy(table, model, (key) => ctx.setQuery({ node: key }, { replace: false }));
    renderSelection(selection, model, selected, () => ctx.setQuery({ node: null }));
    showStatus();
  }

  function renderToggleBox() {
    renderToggles(toggles, kinds, graph.big(), (k) => ctx.setQuery({ edges: kindsToQuery(k) }));
  }

  function applyOne(p: Pending): 'applied' | 'stale' | 'gap' {
    if (!model) return 'stale';
    const fit = deltaFits(model, p.delta);
    if (fit !== 'apply') return fit;
    // User Timing for bench/web.ts, kept bounded on a dashboard left open for days.
    if (performance.getEntriesByName('ringwatch:delta-paint').length >= 200) {
      performance.clearMeasures('ringwatch:delta-apply');
      performance.clearMeasures('ringwatch:delta-paint');
    }
    performance.mark('ringwatch:delta-start');
    const wasEmpty = model.nodes.size === 0;
    const change: ModelChange = applyDelta(model, p.delta);
    if (p.summary) {
      const seen = new Set(change.healthChanged);
      for (const k of applySignals(model, p.summary)) if (!seen.has(k)) change.healthChanged.push(k);
    }
    // The first crawl into an empty ring is its first layout, not a re-layout.
    if (wasEmpty) {
      graph.load(model);
      overlay.replaceChildren();
      renderToggleBox();
    } else graph.patch(model, change);
    performance.measure('ringwatch:delta-apply', 'ringwatch:delta-start');
    requestAnimationFrame(() => performance.measure('ringwatch:delta-paint', 'ringwatch:delta-start'));
    return 'applied';
  }

  function onDelta(p: Pending) {
    if (timeTravel()) return;
    if (queue) {
      queue.push(p);
      return;
    }
    const r = applyOne(p);
    if (r === 'gap') void load();
    else if (r === 'applied') refreshPanels();
  }

  async function load() {
    const seq = ++loadSeq;
    queue = [];
    if (!model) replace(overlay, loading('Loading the ring…'));
    try {
      let id: number | null;
      if (crawlParam !== null) {
        id = Number(crawlParam);
        if (!Number.isInteger(id) || id < 1) throw new Error(`“${crawlParam}” is not a crawl number`);
      } else {
        const s = await ctx.api.summary(ctx.signal);
        id = s.lastCrawl?.id ?? null;
      }
      if (seq !== loadSeq || ctx.signal.aborted) return;
      if (id === null) {
        model = emptyModel(null);
        graph.load(model);
        replace(overlay, empty('No crawl yet', 'The ring appears here after the first crawl finishes.'));
        const pending = queue;
        queue = null;
        for (const p of pending) applyOne(p);
        refreshPanels();
        return;
      }
      // Ring slots first (small even for a large ring), the connection edges right after.
      const t = await ctx.api.topology(id, ctx.signal, { connections: false });
      if (seq !== loadSeq || ctx.signal.aborted) return;
      performance.mark('ringwatch:topology-loaded');
      model = fromTopology(t);
      graph.load(model);
      performance.mark('ringwatch:graph-built');
      overlay.replaceChildren();
      const pending = queue;
      queue = null;
      for (const p of pending) if (applyOne(p) === 'gap') return void load();
      renderToggleBox();
      if (selected) graph.select(selected);
      refreshPanels();
      void loadConnections(seq);
    } catch (err) {
      if (ctx.signal.aborted || seq !== loadSeq) return;
      queue = null;
      const notFound = isApiError(err, 'not_found');
      replace(
        overlay,
        notFound
          ? empty(`Crawl ${crawlParam ?? ''} cannot be shown`, describeError(err))
          : failure(err, () => void load()),
      );
      replace(status, notFound ? 'No topology for this crawl' : 'Could not load the ring');
    }
  }

  /** The connection edges of the model's crawl (refetched if a delta moved the model on meanwhile). */
  async function loadConnections(seq: number) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const m = model;
      if (!m || m.crawlId === null) return;
      const at = m.crawlId;
      let full: WireTopology;
      try {
        full = await ctx.api.topology(at, ctx.signal);
      } catch {
        return; // the ring slots stay; a reload tries again
      }
      if (seq !== loadSeq || ctx.signal.aborted || model !== m) return;
      if (m.crawlId !== at) continue;
      const change = mergeConnections(m, full);
      if (change.edgesAdded.length > 0) graph.patch(m, change);
      if (selected) refreshPanels();
      return;
    }
  }

  offs.push(
    ctx.live.on('crawl:finished', (p) => {
      if (p.delta) onDelta({ delta: p.delta, summary: p.summary });
    }),
    ctx.live.on('crawl:delta', (p) => onDelta({ delta: p.delta, summary: null })),
    ctx.live.on('resync', (r) => {
      if (!timeTravel() && r.mode === 'reset' && (model?.crawlId ?? null) !== r.latestCrawlId && !queue)
        void load();
    }),
  );
  offs.push(ctx.live.onStatus(() => showStatus()));

  renderLegend(legend, null);
  renderUnhealthy(table, null, () => undefined);
  renderToggleBox();
  void load();

  return {
    update(next) {
      ctx = next;
      const q = next.route.query;
      const newKinds = kindsFromQuery(q.edges);
      if ([...newKinds].sort().join() !== [...kinds].sort().join()) {
        kinds = newKinds;
        graph.setKinds(kinds);
        renderToggleBox();
      }
      const newSel = q.node ?? null;
      if (newSel !== selected) {
        selected = newSel;
        graph.select(selected);
        if (selected) graph.center(selected);
        refreshPanels();
      }
      const newCrawl = q.crawl ?? null;
      if (newCrawl !== crawlParam) {
        crawlParam = newCrawl;
        void load();
      }
    },
    destroy() {
      for (const off of offs) off();
      graph.destroy();
    },
  };
}

export const ringView: ViewDef = {
  id: 'ring',
  pattern: 'ring',
  title: 'Ring',
  nav: { label: 'Ring', order: 20 },
  mount,
};

/** For other views: a link to the ring at a crawl, with a node selected. */
export const ringHash = (crawl?: number | null, node?: string | null) => formatHash('ring', { crawl, node });
