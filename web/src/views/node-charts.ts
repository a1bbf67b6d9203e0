/**
 * The Node view's metric charts (chart.js, linear time axis, no animation, LTTB decimation): memory
 * (RSS, heap), CPU, bandwidth in/out, queue depth and event-loop lag over the range in the URL. Each
 * chart's accessible name is a text summary of its series. Redrawn from the kept data on theme change.
 */
import {
  Chart,
  Decimation,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { h, replace } from '../dom.js';
import { axisTime, bytes, count, duration, percent } from '../format.js';
import type { Theme } from '../theme.js';
import { RANGES, type RangeKey } from '../types.js';
import { empty } from '../ui.js';
import { chartColors, timeTooltip } from './chart-style.js';
import type { NodeSeries, SeriesMetric } from './endpoints.js';
import { rate } from './widgets.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip, Decimation);

interface Spec {
  id: string;
  title: string;
  metrics: [SeriesMetric, string][];
  unit(v: number): string;
  /** Value as plotted (cpu: a share of one core → percent). */
  scale?: number;
  /** Whole numbers only on the axis. */
  integer?: boolean;
}

/** Milliseconds, with a decimal below 10 ms (lag is usually small). */
const lagMs = (v: number) => (v < 10 ? `${Number(v.toFixed(1))} ms` : duration(v));

const SPECS: Spec[] = [
  {
    id: 'memory',
    title: 'Memory',
    metrics: [
      ['rss', 'RSS'],
      ['heapUsed', 'Heap used'],
    ],
    unit: (v) => bytes(v),
  },
  {
    id: 'cpu',
    title: 'CPU',
    metrics: [['cpu', 'CPU (share of one core)']],
    unit: (v) => percent(v / 100),
    scale: 100,
  },
  {
    id: 'bandwidth',
    title: 'Bandwidth',
    metrics: [
      ['bytesInRate', 'In'],
      ['bytesOutRate', 'Out'],
    ],
    unit: (v) => rate(v),
  },
  {
    id: 'queue',
    title: 'Queue depth',
    metrics: [['queueDepth', 'Queue']],
    unit: (v) => `${count(v)} ${Math.round(v) === 1 ? 'message' : 'messages'}`,
    integer: true,
  },
  { id: 'lag', title: 'Event-loop lag', metrics: [['eventLoopLag', 'Lag']], unit: (v) => lagMs(v) },
];

type XY = { x: number; y: number | null };

export interface NodeCharts {
  show(series: NodeSeries, range: RangeKey, now: number): void;
  restyle(): void;
  destroy(): void;
}

export function createNodeCharts(host: HTMLElement, theme: Theme): NodeCharts {
  const charts = new Map<string, Chart<'line', XY[]>>();
  const figures = new Map<string, HTMLElement>();
  let last: { series: NodeSeries; range: RangeKey; now: number } | null = null;
  for (const spec of SPECS) {
    const fig = h('figure', { class: 'chart', id: `node-chart-${spec.id}` }, h('figcaption', {}, spec.title));
    figures.set(spec.id, fig);
    host.append(fig);
  }
  const { series: chartColor, muted, grid } = chartColors(theme);
  const colors = () => [1, 3, 2, 4].map(chartColor);

  function destroyAll() {
    for (const c of charts.values()) c.destroy();
    charts.clear();
  }

  function draw(series: NodeSeries, range: RangeKey, now: number) {
    destroyAll();
    const rangeMs = RANGES[range];
    const palette = colors();
    for (const spec of SPECS) {
      const fig = figures.get(spec.id)!;
      const sets = spec.metrics.map(([m, label]) => ({
        label,
        data: series.series[m].map((p): XY => ({
          x: p.t,
          y: p.avg === null ? null : p.avg * (spec.scale ?? 1),
        })),
      }));
      const known = sets.flatMap((s) => s.data.map((d) => d.y)).filter((y): y is number => y !== null);
      if (known.length === 0) {
        replace(fig, h('figcaption', {}, spec.title), empty('No data in this range'));
        continue;
      }
      const label =
        `${spec.title} over the last ${range}. ` +
        sets
          .map((s) => {
            const ys = s.data.map((d) => d.y).filter((y): y is number => y !== null);
            return ys.length === 0
              ? `${s.label}: no data`
              : `${s.label}: latest ${spec.unit(ys.at(-1)!)}, highest ${spec.unit(Math.max(...ys))}`;
          })
          .join('; ') +
        '.';
      const canvas = h('canvas', { role: 'img', 'aria-label': label });
      replace(fig, h('figcaption', {}, spec.title), h('div', { class: 'chart-box' }, canvas));
      charts.set(
        spec.id,
        new Chart<'line', XY[]>(canvas, {
          type: 'line',
          data: {
            datasets: sets.map((s, i) => ({
              label: s.label,
              data: s.data,
              borderColor: palette[i % palette.length],
              backgroundColor: palette[i % palette.length],
              borderWidth: 1.5,
              pointRadius: s.data.length > 60 ? 0 : 2,
              spanGaps: false,
            })),
          },
          options: {
            parsing: false,
            normalized: true,
            animation: false,
            maintainAspectRatio: false,
            responsive: true,
            interaction: { mode: 'nearest', axis: 'x', intersect: false },
            scales: {
              x: {
                type: 'linear',
                min: now - rangeMs,
                max: now,
                ticks: {
                  color: muted(),
                  maxTicksLimit: 7,
                  maxRotation: 0,
                  callback: (v) => axisTime(Number(v), rangeMs),
                },
                grid: { color: grid() },
              },
              y: {
                min: 0,
                ticks: {
                  color: muted(),
                  maxTicksLimit: 5,
                  ...(spec.integer ? { precision: 0 } : {}),
                  callback: (v) => spec.unit(Number(v)),
                },
                grid: { color: grid() },
              },
            },
            plugins: {
              decimation: { enabled: true, algorithm: 'lttb', samples: 300, threshold: 600 },
              legend: { display: sets.length > 1, labels: { color: muted(), boxWidth: 12 } },
              tooltip: timeTooltip((v) => spec.unit(v)),
            },
          },
        }),
      );
    }
  }

  return {
    show(series, range, now) {
      last = { series, range, now };
      draw(series, range, now);
    },
    restyle() {
      if (last) draw(last.series, last.range, last.now);
    },
    destroy: destroyAll,
  };
}
