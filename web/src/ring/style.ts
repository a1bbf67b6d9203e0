/**
 * The cytoscape stylesheet of the ring, built from the theme's CSS variables (so light and dark match
 * the rest of the page). Health is colour plus shape, so it does not rely on colour alone.
 */
import type cytoscape from 'cytoscape';
import type { EdgeKind, NodeHealth } from '../types.js';
import { EDGE_KINDS, HEALTHS } from '../types.js';

export interface Palette {
  health: Record<NodeHealth, string>;
  edge: Record<EdgeKind, string>;
  text: string;
  background: string;
  focus: string;
  neighbour: string;
  disagree: string;
}

/** The palette as the page shows it now (`color` reads a CSS custom property). */
export function paletteOf(color: (name: string) => string): Palette {
  const health = {} as Record<NodeHealth, string>;
  for (const h of HEALTHS) health[h] = color(`--health-${h}`) || '#888';
  const edge = {} as Record<EdgeKind, string>;
  for (const k of EDGE_KINDS) edge[k] = color(`--edge-${k.toLowerCase()}`) || '#999';
  return {
    health,
    edge,
    text: color('--text') || '#222',
    background: color('--bg') || '#fff',
    focus: color('--focus') || '#0a84ff',
    neighbour: color('--accent') || '#0a84ff',
    disagree: color('--health-persistent') || '#d00',
  };
}

export const SHAPES: Record<NodeHealth, cytoscape.Css.NodeShape> = {
  ok: 'ellipse',
  inconsistent: 'diamond',
  persistent: 'triangle',
  stalled: 'rectangle',
  unreachable: 'ellipse',
  lost: 'vee',
};

export function ringStyle(p: Palette, opts: { nodeSize: number; labels: boolean }): cytoscape.StylesheetJson {
  const s: cytoscape.StylesheetJson = [
    {
      selector: 'node',
      style: {
        width: opts.nodeSize,
        height: opts.nodeSize,
        'border-width': 0,
        'background-color': p.health.ok,
        ...(opts.labels
          ? {
              label: 'data(label)',
              'font-size': 9,
              color: p.text,
              'text-valign': 'center',
              'text-halign': 'center',
              'text-margin-y': -opts.nodeSize,
              'min-zoomed-font-size': 7,
            }
          : {}),
      },
    },
    {
      selector: 'edge',
      style: {
        'curve-style': 'haystack',
        'haystack-radius': 0,
        width: 1,
        opacity: 0.7,
        'line-color': p.edge.R1,
      },
    },
  ];
  for (const h of HEALTHS) {
    s.push({
      selector: `node[health = "${h}"]`,
      style: { 'background-color': p.health[h], shape: SHAPES[h] },
    });
  }
  s.push({
    selector: 'node[health = "unreachable"], node[health = "lost"]',
    style: { 'background-opacity': 0.55 },
  });
  for (const k of EDGE_KINDS) s.push({ selector: `edge[kind = "${k}"]`, style: { 'line-color': p.edge[k] } });
  s.push(
    { selector: 'edge[kind = "L2"], edge[kind = "R2"]', style: { opacity: 0.5 } },
    {
      selector: 'edge[kind = "near"], edge[kind = "shortcut"], edge[kind = "leaf"]',
      style: { opacity: 0.35 },
    },
    { selector: 'edge[kind = "relay"]', style: { width: 1.5, opacity: 0.8 } },
    { selector: 'edge.transient', style: { opacity: 0.9, width: 1.5 } },
    {
      selector: 'node.neighbour',
      style: {
        'border-width': opts.nodeSize / 4,
        'border-color': p.neighbour,
        width: opts.nodeSize * 1.5,
        height: opts.nodeSize * 1.5,
      },
    },
    {
      selector: 'node.disagree',
      style: {
        'border-width': opts.nodeSize / 3,
        'border-color': p.disagree,
        'border-style': 'double',
        width: opts.nodeSize * 1.7,
        height: opts.nodeSize * 1.7,
      },
    },
    {
      selector: 'node.selected',
      style: {
        'border-width': opts.nodeSize / 3,
        'border-color': p.focus,
        width: opts.nodeSize * 2.2,
        height: opts.nodeSize * 2.2,
        'z-index': 10,
      },
    },
    { selector: 'edge.incident', style: { opacity: 1, width: 2, 'z-index': 9 } },
  );
  return s;
}
