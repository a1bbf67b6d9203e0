/**
 * The Relays view's charts (chart.js, no animation): the busiest relays as horizontal bars of relayed
 * connections, and each relayed connection's RTT against the direct path (a direct link where one
 * exists, else the sum of its two legs), with the y = x line for reference. Redrawn on theme change.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  ScatterController,
  Tooltip,
} from 'chart.js';
import { h, replace } from '../dom.js';
import { count, duration, shortId } from '../format.js';
import type { Theme } from '../theme.js';
import { empty } from '../ui.js';
import { chartColors } from './chart-style.js';
import type { RelayReport } from './endpoints.js';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  ScatterController,
  LineController,
  LineElement,
  PointElement,
  Legend,
  Tooltip,
);

/** Bars drawn at most (the table lists every relay). */
const TOP = 15;

export interface RelayCharts {
  show(r: RelayReport): void;
  restyle(): void;
  destroy(): void;
}

export function createRelayCharts(host: HTMLElement, theme: Theme): RelayCharts {
  const barFig = h(
    'figure',
    { class: 'chart', id: 'relay-rank-chart' },
    h('figcaption', {}, 'Busiest relays'),
  );
  const rttFig = h(
    'figure',
    { class: 'chart', id: 'relay-rtt-chart' },
    h('figcaption', {}, 'Relay RTT vs direct RTT'),
  );
  host.append(barFig, rttFig);
  const charts: Chart[] = [];
  let last: RelayReport | null = null;
  const { series: color, muted, grid } = chartColors(theme);

  function destroyAll() {
    for (const c of charts.splice(0)) c.destroy();
  }

  function bars(r: RelayReport) {
    const top = r.relays.slice(0, TOP);
    if (top.length === 0) {
      replace(barFig, h('figcaption', {}, 'Busiest relays'), empty('No relays in this crawl'));
      return;
    }
    const label =
      `Relays ranked by relayed connections, top ${top.length}: ` +
      top
        .slice(0, 5)
        .map((x) => `${shortId(x.via)} ${count(x.connections)}`)
        .join(', ') +
      (top.length > 5 ? ', …' : '');
    const canvas = h('canvas', { role: 'img', 'aria-label': label });
    const box = h('div', { class: 'chart-box' }, canvas);
    box.style.height = `${Math.max(320, 60 + 30 * top.length)}px`; // CSSOM, not an inline style attribute
    replace(
      barFig,
      h('figcaption', {}, `Busiest relays (top ${top.length} of ${count(r.relays.length)})`),
      box,
    );
    charts.push(
      new Chart(canvas, {
        type: 'bar',
        data: {
          labels: top.map((x) => shortId(x.via)),
          datasets: [
            {
              label: 'Relayed connections',
              data: top.map((x) => x.connections),
              backgroundColor: color(1),
              borderWidth: 0,
              maxBarThickness: 22,
            },
          ],
        },
        options: {
          indexAxis: 'y',
          animation: false,
          maintainAspectRatio: false,
          responsive: true,
          scales: {
            x: { beginAtZero: true, ticks: { color: muted(), precision: 0 }, grid: { color: grid() } },
            y: { ticks: { color: muted(), font: { family: 'monospace' } }, grid: { display: false } },
          },
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                title: (items) => (items[0] ? top[items[0].dataIndex]!.via : ''),
                label: (item) => {
                  const x = top[item.dataIndex]!;
                  return `${count(x.connections)} connections, ${count(x.nodes)} nodes, avg RTT ${duration(x.avgRttMs)}`;
                },
              },
            },
          },
        },
      }),
    );
  }

  function scatter(r: RelayReport) {
    const direct = r.edges
      .filter((e) => e.rttMs !== null && e.directRttMs !== null)
      .map((e) => ({ x: e.directRttMs!, y: e.rttMs!, e }));
    const legs = r.edges
      .filter((e) => e.rttMs !== null && e.directRttMs === null && e.legsRttMs !== null)
      .map((e) => ({ x: e.legsRttMs!, y: e.rttMs!, e }));
    const all = [...direct, ...legs];
    if (all.length === 0) {
      replace(
        rttFig,
        h('figcaption', {}, 'Relay RTT vs direct RTT'),
        empty('No RTTs to compare', 'Neither a direct link nor both relay legs were measured.'),
      );
      return;
    }
    const max = Math.max(...all.flatMap((p) => [p.x, p.y]));
    const over = all.map((p) => p.y - p.x);
    const avgOver = over.reduce((a, b) => a + b, 0) / over.length;
    const label =
      `Relay RTT against direct RTT for ${count(all.length)} relayed connections ` +
      `(${count(direct.length)} with a direct link, ${count(legs.length)} by their legs); ` +
      `relaying adds ${duration(Math.max(0, avgOver))} on average.`;
    const canvas = h('canvas', { role: 'img', 'aria-label': label });
    replace(
      rttFig,
      h('figcaption', {}, 'Relay RTT vs direct RTT'),
      h('div', { class: 'chart-box chart-box-tall' }, canvas),
    );
    const rttTicks = {
      color: muted(),
      maxTicksLimit: 6,
      callback: (v: number | string) => duration(Number(v)),
    };
    charts.push(
      new Chart(canvas, {
        type: 'scatter',
        data: {
          datasets: [
            {
              label: 'vs direct link',
              data: direct.map(({ x, y }) => ({ x, y })),
              backgroundColor: color(1),
              pointRadius: 3,
            },
            {
              label: 'vs the two legs (from → via → to)',
              data: legs.map(({ x, y }) => ({ x, y })),
              backgroundColor: color(3),
              pointRadius: 3,
              pointStyle: 'triangle',
            },
            {
              type: 'line',
              label: 'equal RTT',
              data: [
                { x: 0, y: 0 },
                { x: max, y: max },
              ],
              borderColor: muted(),
              borderDash: [4, 4],
              borderWidth: 1,
              pointRadius: 0,
            },
          ],
        },
        options: {
          animation: false,
          maintainAspectRatio: false,
          responsive: true,
          scales: {
            x: {
              type: 'linear',
              min: 0,
              suggestedMax: max * 1.1,
              title: { display: true, text: 'Direct RTT', color: muted() },
              ticks: rttTicks,
              grid: { color: grid() },
            },
            y: {
              min: 0,
              suggestedMax: max * 1.1,
              title: { display: true, text: 'Relay RTT', color: muted() },
              ticks: rttTicks,
              grid: { color: grid() },
            },
          },
          plugins: {
            legend: {
              labels: {
                color: muted(),
                boxWidth: 12,
                filter: (item, data) => (data.datasets[item.datasetIndex ?? 0]?.data.length ?? 0) > 0,
              },
            },
            tooltip: {
              callbacks: {
                label: (item) => {
                  const p = [...direct, ...legs][
                    item.datasetIndex === 0 ? item.dataIndex : direct.length + item.dataIndex
                  ];
                  if (!p || item.datasetIndex > 1) return '';
                  return `${shortId(p.e.from)} → ${shortId(p.e.to)} via ${shortId(p.e.via)}: relay ${duration(p.y)}, direct ${duration(p.x)}`;
                },
              },
            },
          },
        },
      }),
    );
  }

  function draw(r: RelayReport) {
    destroyAll();
    bars(r);
    scatter(r);
  }

  return {
    show(r) {
      last = r;
      draw(r);
    },
    restyle() {
      if (last) draw(last);
    },
    destroy: destroyAll,
  };
}
