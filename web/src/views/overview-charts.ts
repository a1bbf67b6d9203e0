/**
 * The Overview's history charts (chart.js, linear time axis, LTTB decimation, no animation for long
 * ranges): node count, consistency, joined/lost nodes, crawl duration, findings by kind. Each chart
 * has a text summary as its accessible name.
 */
import {
  Chart,
  Decimation,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
} from 'chart.js';
import { h, replace } from '../dom.js';
import { axisTime, count, duration, percent } from '../format.js';
import type { Theme } from '../theme.js';
import { RANGES, type RangeKey } from '../types.js';
import { empty } from '../ui.js';
import { chartColors, timeTooltip } from './chart-style.js';
import type { ChartPoint, History, KindPoint } from './history.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Filler, Decimation);

type XY = { x: number; y: number | null };
interface Series {
  label: string;
  data: XY[];
  stack?: boolean;
}
interface Spec {
  id: string;
  title: string;
  /** Value → text with unit (ticks, tooltips, summaries). */
  unit(v: number): string;
  series(points: ChartPoint[], kinds: KindPoint[]): Series[];
  min?: number;
  max?: number;
  stacked?: boolean;
  /** Shown instead of the chart when every value is unknown. */
  unknown?: string;
}

const xy = <P extends { t: number }>(points: P[], f: (p: P) => number | null): XY[] =>
  points.map((p) => ({ x: p.t, y: f(p) }));

const SPECS: Spec[] = [
  {
    id: 'nodes',
    title: 'Nodes',
    unit: (v) => `${count(v)} nodes`,
    min: 0,
    series: (ps) => [
      { label: 'Found', data: xy(ps, (p) => p.nodes) },
      { label: 'Reachable', data: xy(ps, (p) => p.reachable) },
    ],
  },
  {
    id: 'consistency',
    title: 'Consistency',
    unit: (v) => percent(v / 100),
    max: 100,
    series: (ps) => [
      { label: 'Consistency', data: xy(ps, (p) => (p.consistency === null ? null : p.consistency * 100)) },
    ],
  },
  {
    id: 'churn',
    title: 'Joined and lost nodes',
    unit: (v) => `${count(v)} nodes`,
    min: 0,
    unknown: 'Joined/lost counts come with the ring history API; this server does not provide it yet.',
    series: (ps) => [
      { label: 'Joined', data: xy(ps, (p) => p.joined) },
      { label: 'Lost', data: xy(ps, (p) => p.lost) },
    ],
  },
  {
    id: 'duration',
    title: 'Crawl duration',
    unit: (v) => duration(v),
    min: 0,
    series: (ps) => [{ label: 'Duration', data: xy(ps, (p) => p.durationMs) }],
  },
  {
    id: 'findings',
    title: 'Findings by kind',
    unit: (v) => `${count(v)} findings`,
    min: 0,
    stacked: true,
    series: (ps, kinds) => {
      if (kinds.length === 0) return [{ label: 'All findings', data: xy(ps, (p) => p.findings) }];
      const names = new Set<string>();
      for (const k of kinds) for (const name of Object.keys(k.counts)) names.add(name);
      if (names.size === 0) return [{ label: 'All findings', data: xy(kinds, () => 0) }];
      return [...names].sort().map((name) => ({
        label: name.replace(/_/g, ' '),
        stack: true,
        data: xy(kinds, (k) => (k.counts as Record<string, number | undefined>)[name] ?? 0),
      }));
    },
  },
];

/** Round tick steps per range (multiples of these are whole minutes, hours or days). */
const TICK_STEP: Record<RangeKey, number> = {
  '1h': 10 * 60_000,
  '6h': 3_600_000,
  '24h': 4 * 3_600_000,
  '7d': 86_400_000,
  '30d': 5 * 86_400_000,
};

/** Ticks at whole local minutes, hours or days between min and max. */
export function roundTicks(min: number, max: number, step: number): number[] {
  const offset = new Date(min).getTimezoneOffset() * 60_000;
  const out: number[] = [];
  for (let t = Math.ceil((min - offset) / step) * step + offset; t <= max; t += step) out.push(t);
  return out;
}

/** '#rrggbb' → the same colour at 45 % opacity (other notations unchanged). */
const translucent = (c: string) => (/^#[0-9a-f]{6}$/i.test(c) ? `${c}73` : c);

/** "latest 29 nodes, lowest 27 nodes, highest 30 nodes" for one series. */
function describe(spec: Spec, s: Series): string {
  const ys = s.data.map((d) => d.y).filter((y): y is number => y !== null);
  if (ys.length === 0) return `${s.label}: no data`;
  return `${s.label}: latest ${spec.unit(ys.at(-1)!)}, lowest ${spec.unit(Math.min(...ys))}, highest ${spec.unit(Math.max(...ys))}`;
}

export interface Charts {
  update(history: History, range: RangeKey, now: number): void;
  restyle(): void;
  destroy(): void;
}

export function createCharts(host: HTMLElement, theme: Theme): Charts {
  const charts = new Map<string, Chart<'line', XY[]>>();
  const figures = new Map<string, HTMLElement>();
  for (const spec of SPECS) {
    const fig = h('figure', { class: 'chart', id: `chart-${spec.id}` }, h('figcaption', {}, spec.title));
    figures.set(spec.id, fig);
    host.append(fig);
  }
  const { series: chartColor, muted, grid } = chartColors(theme);
  const palette = () => [1, 2, 3, 4, 5, 6, 7].map(chartColor);

  function datasets(spec: Spec, series: Series[]): ChartDataset<'line', XY[]>[] {
    const colors = palette();
    return series.map((s, i) => ({
      label: s.label,
      data: s.data,
      borderColor: colors[i % colors.length],
      backgroundColor: spec.stacked ? translucent(colors[i % colors.length]!) : colors[i % colors.length],
      borderWidth: 1.5,
      pointRadius: s.data.length > 60 ? 0 : 2,
      spanGaps: false,
      fill: spec.stacked ? (i === 0 ? 'origin' : '-1') : false,
      ...(spec.stacked ? { stack: 'all' } : {}),
    }));
  }

  function make(
    spec: Spec,
    canvas: HTMLCanvasElement,
    series: Series[],
    range: RangeKey,
    now: number,
    animate: boolean,
  ) {
    const rangeMs = RANGES[range];
    return new Chart<'line', XY[]>(canvas, {
      type: 'line',
      data: { datasets: datasets(spec, series) },
      options: {
        parsing: false,
        normalized: true,
        animation: animate ? { duration: 300 } : false,
        maintainAspectRatio: false,
        responsive: true,
        interaction: { mode: 'nearest', axis: 'x', intersect: false },
        scales: {
          x: {
            type: 'linear',
            min: now - rangeMs,
            max: now,
            afterBuildTicks: (axis) => {
              axis.ticks = roundTicks(now - rangeMs, now, TICK_STEP[range]).map((value) => ({ value }));
            },
            ticks: {
              color: muted(),
              maxRotation: 0,
              autoSkip: false,
              callback: (v) => axisTime(Number(v), rangeMs),
            },
            grid: { color: grid() },
          },
          y: {
            ...(spec.min !== undefined ? { min: spec.min } : {}),
            ...(spec.max !== undefined ? { suggestedMax: spec.max } : {}),
            stacked: Boolean(spec.stacked),
            ticks: { color: muted(), maxTicksLimit: 5, callback: (v) => spec.unit(Number(v)) },
            grid: { color: grid() },
          },
        },
        plugins: {
          decimation: { enabled: true, algorithm: 'lttb', samples: 400, threshold: 800 },
          legend: {
            display: series.length > 1 || spec.id === 'findings',
            labels: { color: muted(), boxWidth: 12 },
          },
          tooltip: timeTooltip((v) => spec.unit(v)),
        },
      },
    });
  }

  return {
    update(history, range, now) {
      const points = history.points;
      const animate = points.length <= 200 && (range === '1h' || range === '6h' || range === '24h');
      for (const spec of SPECS) {
        const fig = figures.get(spec.id)!;
        const series = spec.series(points, history.kinds);
        const known = series.some((s) => s.data.some((d) => d.y !== null));
        const old = charts.get(spec.id);
        if (!known) {
          old?.destroy();
          charts.delete(spec.id);
          replace(
            fig,
            h('figcaption', {}, spec.title),
            empty(
              points.length === 0 ? 'No crawls in this range' : 'No data',
              points.length && spec.unknown ? spec.unknown : undefined,
            ),
          );
          continue;
        }
        const label = `${spec.title} over the last ${range}. ${series.map((s) => describe(spec, s)).join('; ')}.`;
        if (old) {
          const canvas = old.canvas;
          canvas.setAttribute('aria-label', label);
          old.destroy();
          charts.set(spec.id, make(spec, canvas, series, range, now, false));
          continue;
        }
        const canvas = h('canvas', { role: 'img', 'aria-label': label });
        replace(fig, h('figcaption', {}, spec.title), h('div', { class: 'chart-box' }, canvas));
        charts.set(spec.id, make(spec, canvas, series, range, now, animate));
      }
    },
    restyle() {
      const colors = palette();
      for (const c of charts.values()) {
        c.data.datasets.forEach((d, i) => {
          d.borderColor = colors[i % colors.length];
          d.backgroundColor = d.fill ? translucent(colors[i % colors.length]!) : colors[i % colors.length];
        });
        for (const axis of ['x', 'y'] as const) {
          const sc = c.options.scales?.[axis];
          if (sc?.ticks) sc.ticks.color = muted();
          if (sc?.grid) sc.grid.color = grid();
        }
        const legend = c.options.plugins?.legend?.labels;
        if (legend) legend.color = muted();
        c.update('none');
      }
    },
    destroy() {
      for (const c of charts.values()) c.destroy();
      charts.clear();
    },
  };
}
