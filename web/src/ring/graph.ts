/**
 * The ring drawn with cytoscape: preset layout (every node at its ring position, never re-laid out),
 * in-place patches from live deltas, edge kinds toggled, a selected node with its neighbours and the
 * nodes that disagree with it. Above `bigThreshold` nodes only the ring edges (L1/R1) are drawn, and
 * the viewport is moved as a cached texture without edges; a node's other edges appear while it is
 * hovered or selected, so large rings stay responsive.
 */
import cytoscape from 'cytoscape';
import type { EdgeKind, TopologyEdge } from '../types.js';
import { drawable, drawnByDefault, leftMirror, shownByMirror, type DrawPolicy } from './edges.js';
import {
  disagreeing,
  edgeKey,
  healthOf,
  layoutOf,
  neighbours,
  ringRadius,
  type ModelChange,
  type RingModel,
  type RingNode,
} from './model.js';
import { createOverviewLayer } from './overview-layer.js';
import { ringStyle, type Palette } from './style.js';

export interface RingGraphOptions {
  palette: Palette;
  kinds: ReadonlySet<EdgeKind>;
  /** Above this many nodes, draw only L1/R1 edges until hover/selection. Default 2000. */
  bigThreshold?: number;
  onHover?(key: string | null, at: { x: number; y: number } | null): void;
  onTap?(key: string): void;
  /**
   * Called after the first frame of each full load is drawn: for a large ring that is the overview
   * layer's drawing of the whole ring (band and unhealthy markers), before cytoscape has its elements.
   */
  onPainted?(): void;
  /** Called after cytoscape drew the nodes of a full load for the first time (hover and click work). */
  onReady?(): void;
}

/**
 * Contract: load() replaces every element (a new crawl to show) and fits the ring in view; patch()
 * applies a ModelChange of the same model in one batch without moving existing nodes. select()
 * highlights one node (null clears); the selection survives patches. destroy() releases cytoscape.
 */
export interface RingGraph {
  load(model: RingModel): void;
  patch(model: RingModel, change: ModelChange): void;
  setKinds(kinds: ReadonlySet<EdgeKind>): void;
  select(key: string | null): void;
  center(key: string): void;
  zoom(factor: number): void;
  fit(): void;
  setPalette(p: Palette): void;
  /** true when only ring edges are drawn. */
  big(): boolean;
  destroy(): void;
}

/**
 * cytoscape injects a <style> element (`position: relative` for its container) unless an element with
 * this id exists; the page's CSP forbids inline styles, so a placeholder stands in and the CSS sets
 * the container's position.
 */
const CY_STYLESHEET_ID = '__________cytoscape_stylesheet';

function preventInjectedStyle(doc: Document) {
  if (doc.getElementById(CY_STYLESHEET_ID)) return;
  const placeholder = doc.createElement('meta');
  placeholder.id = CY_STYLESHEET_ID;
  doc.head.append(placeholder);
}

/** Node size in layout units (nodes sit ~10 units apart on the circle; large rings stay below that). */
const nodeSizeFor = (n: number, threshold: number) => (n > threshold ? 8 : n > 200 ? 10 : 14);

export function createRingGraph(container: HTMLElement, opts: RingGraphOptions): RingGraph {
  preventInjectedStyle(container.ownerDocument);
  const threshold = opts.bigThreshold ?? 2000;
  let model: RingModel | null = null;
  const policy: DrawPolicy = { kinds: new Set(opts.kinds), big: false };
  let palette = opts.palette;
  let radius = 200;
  let selected: string | null = null;
  let hovered: string | null = null;
  const transient = { hover: new Set<string>(), select: new Set<string>() };
  let painted = false;
  let ready = false;
  /** false while a large ring's nodes wait to be handed to cytoscape (the overview layer shows it). */
  let inCy = true;
  const overview = createOverviewLayer(container.parentElement ?? container, {
    model: () => model,
    active: () => policy.big,
    radius: () => radius,
    nodeSize: () => nodeSizeFor(model?.nodes.size ?? 0, threshold),
    viewport: () => ({ zoom: cy.zoom(), pan: cy.pan() }),
    palette: () => palette,
    selected: () => selected,
  });
  let cyBig: boolean | null = null;
  let cy = makeCy(false);

  // Zoomed out on a large ring, the overview's markers stand in for nodes too small to point at.
  let markerHovered = false;
  const pointAt = (e: MouseEvent) => {
    const box = container.getBoundingClientRect();
    return overview.hit(e.clientX - box.left, e.clientY - box.top);
  };
  const onMove = (e: MouseEvent) => {
    if (hovered !== null) return;
    const mk = pointAt(e);
    if (mk) opts.onHover?.(mk.key, { x: mk.x, y: mk.y });
    else if (markerHovered) opts.onHover?.(null, null);
    markerHovered = mk !== null;
    container.classList.toggle('pointing', markerHovered);
  };
  const onClick = (e: MouseEvent) => {
    const mk = hovered === null ? pointAt(e) : null;
    if (mk) opts.onTap?.(mk.key);
  };
  container.addEventListener('mousemove', onMove);
  container.addEventListener('click', onClick);

  /** A cytoscape instance; large rings get the viewport shortcuts (edges hidden, texture while moving). */
  function makeCy(big: boolean): cytoscape.Core {
    cyBig = big;
    const core = cytoscape({
      container,
      elements: [],
      layout: { name: 'preset' },
      minZoom: 0.005,
      maxZoom: 8,
      boxSelectionEnabled: false,
      autoungrabify: true,
      autounselectify: true,
      pixelRatio: 1,
      hideEdgesOnViewport: big,
      textureOnViewport: big,
      style: ringStyle(palette, { nodeSize: 10, labels: false }),
    });
    bind(core);
    return core;
  }

  const nodeEl = (n: RingNode): cytoscape.ElementDefinition => ({
    group: 'nodes',
    data: { id: n.key, health: healthOf(n), label: n.nodeId ? n.nodeId.slice(0, 6) : '' },
    position: layoutOf(n, radius),
  });
  const edgeEl = (e: TopologyEdge, cls?: string): cytoscape.ElementDefinition => ({
    group: 'edges',
    data: { id: edgeKey(e), source: e.from, target: e.to, kind: e.kind },
    ...(cls ? { classes: cls } : {}),
  });
  const has = (id: string) => cy.getElementById(id).nonempty();

  function applyStyle() {
    const n = model?.nodes.size ?? 0;
    cy.style(ringStyle(palette, { nodeSize: nodeSizeFor(n, threshold), labels: n > 0 && n <= 100 }));
  }

  /** The whole ring in view, computed from the layout (no bounding-box pass over every element). */
  function fitView() {
    const w = cy.width();
    const h = cy.height();
    if (w === 0 || h === 0) return;
    const pad = nodeSizeFor(model?.nodes.size ?? 0, threshold) * 2 + 16;
    cy.viewport({ zoom: Math.min(w, h) / (2 * (radius + pad)), pan: { x: w / 2, y: h / 2 } });
  }

  /** A node's edges that are drawable but not drawn by default, added as transient elements. */
  function showIncident(key: string, into: Set<string>) {
    if (!model || !policy.big) return;
    const m = model;
    const els: cytoscape.ElementDefinition[] = [];
    for (const k of [...(m.out.get(key) ?? []), ...(m.in.get(key) ?? [])]) {
      const e = m.edges.get(k)!;
      if (into.has(k) || has(k) || !drawable(m, e, policy)) continue;
      if (drawnByDefault(m, e, policy) || shownByMirror(m, e, policy)) continue;
      into.add(k);
      els.push(edgeEl(e, 'transient'));
    }
    if (els.length) cy.add(els);
  }

  function clearTransient(set: Set<string>, keep: Set<string>) {
    for (const k of set) if (!keep.has(k)) cy.getElementById(k).remove();
    set.clear();
  }

  function highlight() {
    if (!inCy) return; // the deferred add highlights once the nodes are in
    cy.batch(() => {
      cy.$('.selected, .neighbour, .disagree').removeClass('selected neighbour disagree');
      cy.$('.incident').removeClass('incident');
      clearTransient(transient.select, transient.hover);
      if (!model || selected === null || !model.nodes.has(selected)) return;
      showIncident(selected, transient.select);
      for (const k of neighbours(model, selected)) cy.getElementById(k).addClass('neighbour');
      for (const k of disagreeing(model, selected)) cy.getElementById(k).addClass('disagree');
      const el = cy.getElementById(selected);
      el.addClass('selected');
      el.connectedEdges().addClass('incident');
    });
  }

  /** Add the default edge elements the graph does not have yet. */
  function addMissingEdges() {
    if (!model) return;
    const m = model;
    const els: cytoscape.ElementDefinition[] = [];
    for (const [k, e] of m.edges) if (drawnByDefault(m, e, policy) && !has(k)) els.push(edgeEl(e));
    if (els.length) cy.add(els);
  }

  /** Every default edge element again (after a kind toggle). */
  function redrawEdges() {
    if (!model || !inCy) return;
    const m = model;
    const els: cytoscape.ElementDefinition[] = [];
    for (const e of m.edges.values()) if (drawnByDefault(m, e, policy)) els.push(edgeEl(e));
    cy.batch(() => {
      cy.edges().remove();
      transient.hover.clear();
      transient.select.clear();
      cy.add(els);
    });
  }

  function bind(core: cytoscape.Core) {
    core.on('mouseover', 'node', (e) => {
      const node = e.target as cytoscape.NodeSingular;
      hovered = node.id();
      if (policy.big) cy.batch(() => showIncident(node.id(), transient.hover));
      const p = node.renderedPosition();
      opts.onHover?.(node.id(), { x: p.x, y: p.y });
    });
    core.on('mouseout', 'node', () => {
      hovered = null;
      if (policy.big) cy.batch(() => clearTransient(transient.hover, transient.select));
      opts.onHover?.(null, null);
    });
    core.on('tap', 'node', (e) => opts.onTap?.((e.target as cytoscape.NodeSingular).id()));
    core.on('viewport', () => {
      if (hovered !== null) opts.onHover?.(null, null);
      overview.schedule();
    });
    core.on('resize', () => overview.schedule());
    core.on('render', () => {
      if (!model || core.nodes().empty()) return;
      if (!painted) {
        painted = true;
        opts.onPainted?.();
      }
      if (!ready) {
        ready = true;
        opts.onReady?.();
      }
    });
  }

  return {
    load(m) {
      model = m;
      policy.big = m.nodes.size > threshold;
      if (policy.big !== cyBig) {
        cy.destroy();
        cy = makeCy(policy.big);
      }
      radius = ringRadius(m.nodes.size);
      transient.hover.clear();
      transient.select.clear();
      painted = false;
      ready = false;
      inCy = !policy.big;
      cy.batch(() => {
        cy.elements().remove();
        applyStyle();
      });
      fitView();
      if (!policy.big) {
        cy.batch(() => {
          cy.add([...m.nodes.values()].map(nodeEl));
          addMissingEdges();
        });
        if (selected !== null) highlight();
        overview.schedule();
        return;
      }
      // A large ring is on screen before cytoscape has a single element: at "fit" zoom its nodes are
      // sub-pixel, and the overview layer draws what the operator sees there (the band and a marker per
      // unhealthy node) in a few milliseconds. cytoscape then gets the nodes after that frame (hover and
      // click on every node), and the ring lines once the nodes' first frame is drawn, so the page never
      // waits for all of it at once.
      const core = cy;
      const current = () => cy === core && model === m;
      overview.schedule();
      requestAnimationFrame(() => {
        if (!current()) return;
        painted = true;
        opts.onPainted?.();
        setTimeout(() => {
          if (!current()) return;
          cy.one('render', () =>
            setTimeout(() => {
              if (!current()) return;
              cy.batch(addMissingEdges);
              if (selected !== null) highlight();
            }, 0),
          );
          // Patches meanwhile changed only the model, which is what is added now.
          inCy = true;
          cy.batch(() => cy.add([...m.nodes.values()].map(nodeEl)));
          if (selected !== null) highlight();
        }, 0);
      });
    },
    patch(m, c) {
      model = m;
      if (!inCy) {
        overview.schedule();
        return;
      }
      cy.batch(() => {
        for (const k of c.nodesRemoved) cy.getElementById(k).remove();
        const addEdges = new Map<string, TopologyEdge>();
        for (const e of c.edgesRemoved) {
          const k = edgeKey(e);
          transient.hover.delete(k);
          transient.select.delete(k);
          cy.getElementById(k).remove();
          // A right-slot line gone: its left mirror (a disagreement now) gets its own line.
          const l = leftMirror(m, e);
          if (l && drawnByDefault(m, l, policy)) addEdges.set(edgeKey(l), l);
        }
        if (c.nodesAdded.length) cy.add(c.nodesAdded.map(nodeEl));
        for (const k of c.healthChanged) {
          const n = m.nodes.get(k);
          if (n) cy.getElementById(k).data('health', healthOf(n));
        }
        for (const e of c.edgesAdded) {
          if (drawnByDefault(m, e, policy)) addEdges.set(edgeKey(e), e);
          // A right-slot line drawn: its agreeing left mirror no longer needs its own.
          const l = leftMirror(m, e);
          if (l && !drawnByDefault(m, l, policy)) {
            addEdges.delete(edgeKey(l));
            cy.getElementById(edgeKey(l)).remove();
          }
        }
        const add = [...addEdges].filter(([k]) => !has(k)).map(([, e]) => edgeEl(e));
        if (add.length) cy.add(add);
      });
      if (selected !== null) highlight();
      overview.schedule();
    },
    setKinds(k) {
      policy.kinds = new Set(k);
      redrawEdges();
      highlight();
    },
    select(key) {
      selected = key;
      highlight();
      overview.schedule();
    },
    center(key) {
      const el = cy.getElementById(key);
      if (el.empty()) return;
      if (cy.zoom() < 1) cy.zoom({ level: 1.5, position: el.position() });
      cy.center(el);
    },
    zoom(factor) {
      cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    },
    fit: fitView,
    setPalette(p) {
      palette = p;
      applyStyle();
      overview.schedule();
    },
    big: () => policy.big,
    destroy() {
      container.removeEventListener('mousemove', onMove);
      container.removeEventListener('click', onClick);
      overview.destroy();
      cy.destroy();
    },
  };
}
