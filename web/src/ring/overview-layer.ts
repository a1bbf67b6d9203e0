/**
 * The zoomed-out view of a large ring. With thousands of nodes on one circle, a node is a fraction of
 * a pixel at "fit" zoom, so cytoscape alone would draw a faint hairline. This layer, a canvas above the
 * graph that ignores the pointer, draws the ring as a band and every unhealthy node (and the selected
 * one) as a visible marker in its health colour, while nodes are smaller than a few pixels. It redraws
 * at most once per frame and costs one arc plus one dot per unhealthy node.
 */
import { healthOf, layoutOf, type RingModel } from './model.js';
import type { Palette } from './style.js';

export interface OverviewSource {
  model(): RingModel | null;
  /** Only large rings use the layer. */
  active(): boolean;
  radius(): number;
  nodeSize(): number;
  viewport(): { zoom: number; pan: { x: number; y: number } };
  palette(): Palette;
  selected(): string | null;
}

/**
 * Contract: schedule() redraws on the next animation frame (coalesced); hit() names the marker drawn
 * within a few pixels of a point of the canvas (null when none or the layer is hidden); destroy()
 * removes the canvas.
 */
export interface OverviewLayer {
  schedule(): void;
  hit(x: number, y: number): { key: string; x: number; y: number } | null;
  destroy(): void;
}

/** Markers within this many pixels of the pointer are hit. */
const HIT_PX = 7;

/** Below this rendered node size (px) the layer shows. */
const SHOW_BELOW_PX = 4;

export function createOverviewLayer(parent: HTMLElement, src: OverviewSource): OverviewLayer {
  const canvas = document.createElement('canvas');
  canvas.className = 'ring-overview';
  canvas.setAttribute('aria-hidden', 'true');
  parent.append(canvas);
  let frame: number | null = null;
  /** The markers of the last drawing, for hit(). */
  let markers: { key: string; x: number; y: number }[] = [];

  function draw() {
    frame = null;
    markers = [];
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    const w = parent.clientWidth;
    const h = parent.clientHeight;
    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(w * ratio) || canvas.height !== Math.round(h * ratio)) {
      canvas.width = Math.round(w * ratio);
      canvas.height = Math.round(h * ratio);
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    const m = src.model();
    const { zoom, pan } = src.viewport();
    if (!m || !src.active() || src.nodeSize() * zoom >= SHOW_BELOW_PX) return;
    const p = src.palette();
    const r = src.radius();
    ctx.globalAlpha = 0.8;
    ctx.strokeStyle = p.health.ok;
    ctx.lineWidth = 3;
    ctx.beginPath();
    ctx.arc(pan.x, pan.y, r * zoom, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.globalAlpha = 1;
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = p.background;
    for (const n of m.nodes.values()) {
      const health = healthOf(n);
      if (health === 'ok') continue;
      const at = layoutOf(n, r);
      const x = pan.x + at.x * zoom;
      const y = pan.y + at.y * zoom;
      if (x < -10 || y < -10 || x > w + 10 || y > h + 10) continue;
      markers.push({ key: n.key, x, y });
      ctx.fillStyle = p.health[health];
      ctx.beginPath();
      ctx.arc(x, y, 4, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
    }
    const sel = src.selected();
    const n = sel !== null ? m.nodes.get(sel) : undefined;
    if (n) {
      const at = layoutOf(n, r);
      ctx.strokeStyle = p.focus;
      ctx.lineWidth = 3;
      ctx.beginPath();
      ctx.arc(pan.x + at.x * zoom, pan.y + at.y * zoom, 8, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }

  return {
    schedule() {
      frame ??= requestAnimationFrame(draw);
    },
    hit(x, y) {
      let best: { key: string; x: number; y: number } | null = null;
      let bestD = HIT_PX * HIT_PX;
      for (const mk of markers) {
        const d = (mk.x - x) ** 2 + (mk.y - y) ** 2;
        if (d <= bestD) {
          bestD = d;
          best = mk;
        }
      }
      return best;
    },
    destroy() {
      if (frame !== null) cancelAnimationFrame(frame);
      canvas.remove();
    },
  };
}
