/**
 * Overview: the ring at a glance (nodes reachable/total, consistency, rings, firing alerts, last crawl
 * age and duration), a live progress bar while a crawl runs, and history charts over a range chosen
 * in the URL (`#/overview?range=24h`).
 */
import { describeError, isApiError } from '../api.js';
import { debounce, h, replace } from '../dom.js';
import { age, count, duration, percent } from '../format.js';
import { roleAtLeast } from '../roles.js';
import { formatHash } from '../router.js';
import { RANGES, isRange, type RangeKey, type Summary } from '../types.js';
import { empty, failure, loading, progressBar, stat } from '../ui.js';
import type { ViewContext, ViewDef, ViewHandle } from '../view.js';
import { createHistorySource, trimKinds, type History } from './history.js';
import { createCharts } from './overview-charts.js';

const DEFAULT_RANGE: RangeKey = '24h';

interface Running {
  crawlId: number;
  visited: number;
  queued: number;
  inFlight: number;
  failed: number;
}

function mount(host: HTMLElement, first: ViewContext): ViewHandle {
  let ctx = first;
  let range: RangeKey = isRange(ctx.route.query.range) ? ctx.route.query.range : DEFAULT_RANGE;
  let running: Running | null = null;
  let loadSeq = 0;
  let hist: History | null = null;
  const stats = h(
    'section',
    { class: 'stats', id: 'overview-stats', 'aria-label': 'Ring at a glance' },
    loading('Loading the ring summary…'),
  );
  const progress = h('section', {
    class: 'crawl-progress',
    id: 'crawl-progress',
    'aria-live': 'polite',
    hidden: true,
  });
  const rangeBar = h('div', { class: 'segmented', role: 'group', 'aria-label': 'Chart range' });
  const chartNote = h('p', { class: 'muted chart-note', 'aria-live': 'polite' });
  const chartGrid = h('div', { class: 'charts', id: 'overview-charts' });
  const crawlBtn = roleAtLeast(ctx.me.principal.role, 'operator')
    ? h('button', { type: 'button', class: 'btn btn-primary', id: 'crawl-now' }, 'Crawl now')
    : null;
  replace(
    host,
    h('div', { class: 'view-head' }, h('h1', {}, 'Overview'), crawlBtn),
    stats,
    progress,
    h(
      'section',
      { class: 'history', 'aria-labelledby': 'history-title' },
      h('div', { class: 'history-head' }, h('h2', { id: 'history-title' }, 'History'), rangeBar),
      chartNote,
      chartGrid,
    ),
  );
  const charts = createCharts(chartGrid, ctx.theme);
  const history = createHistorySource(ctx.api, ctx.now);

  function renderRange() {
    replace(
      rangeBar,
      (Object.keys(RANGES) as RangeKey[]).map((r) =>
        h(
          'a',
          {
            class: 'seg',
            href: formatHash('overview', { range: r }),
            'aria-current': r === range ? 'true' : null,
            id: `range-${r}`,
          },
          r,
        ),
      ),
    );
  }

  function renderStats(s: Summary | null) {
    if (!s) return;
    const now = ctx.now();
    const last = s.lastCrawl;
    if (!last) {
      replace(
        stats,
        empty(
          'No crawl yet',
          running
            ? 'The first crawl is running.'
            : 'The first crawl starts on the schedule (or press “Crawl now”).',
        ),
      );
      return;
    }
    const attemptFailed =
      s.latestAttempt && s.latestAttempt.id !== last.id && s.latestAttempt.state !== 'running';
    replace(
      stats,
      stat('Nodes reachable', `${count(s.reachable)} / ${count(s.nodes)}`, {
        id: 'stat-nodes',
        tone: s.unreachable > 0 ? 'warn' : 'ok',
        hint: s.unreachable > 0 ? `${count(s.unreachable)} unreachable` : 'all reachable',
      }),
      stat('Consistency', percent(s.consistency), {
        id: 'stat-consistency',
        tone: (s.consistency ?? 1) < 1 ? 'warn' : 'ok',
        hint: 'mirror checks satisfied',
      }),
      stat('Rings', count(s.rings), {
        id: 'stat-rings',
        tone: s.rings > 1 ? 'bad' : 'ok',
        hint: s.rings > 1 ? `main ring ${count(s.mainRingSize)} nodes` : 'one ring',
      }),
      stat('Alerts firing', count(s.firingAlerts), {
        id: 'stat-alerts',
        tone: s.firingAlerts > 0 ? 'bad' : 'ok',
      }),
      stat('Last crawl', age(last.finishedAt ?? last.startedAt, now), {
        id: 'stat-last-crawl',
        hint: `#${last.id}, took ${duration(last.durationMs)}`,
      }),
      attemptFailed
        ? h(
            'p',
            { class: 'state state-error', role: 'alert' },
            `The latest crawl #${s.latestAttempt!.id} ${s.latestAttempt!.state}${s.latestAttempt!.reason ? `: ${s.latestAttempt!.reason}` : ''}.`,
          )
        : null,
    );
  }

  function renderProgress() {
    if (!running) {
      progress.hidden = true;
      progress.replaceChildren();
      return;
    }
    const r = running;
    const total = r.visited + r.queued + r.inFlight;
    progress.hidden = false;
    replace(
      progress,
      progressBar(
        `Crawl #${r.crawlId} running: ${count(r.visited)} of ${count(total)} endpoints visited${r.failed ? `, ${count(r.failed)} failed` : ''}`,
        r.visited,
        total,
      ),
    );
  }

  function showHistory(h: History) {
    hist = h;
    charts.update(h, range, ctx.now());
    chartNote.textContent =
      `${count(h.points.length)} points in the last ${range}` +
      (h.source === 'crawls' ? ' (from the crawl list)' : '') +
      (h.truncated ? '; findings by kind cover the most recent crawls only' : '') +
      '.';
  }

  async function loadHistory() {
    const seq = ++loadSeq;
    chartNote.textContent = 'Loading history…';
    try {
      const h = await history.load(range, ctx.signal);
      if (seq !== loadSeq || ctx.signal.aborted) return;
      showHistory(h);
    } catch (err) {
      if (seq !== loadSeq || ctx.signal.aborted) return;
      chartNote.textContent = '';
      replace(
        chartGrid,
        failure(err, () => {
          chartGrid.replaceChildren();
          void loadHistory();
        }),
      );
    }
  }

  /** After a crawl: the main series again from the server, findings by kind from its summary. */
  async function refreshPoints() {
    if (!hist) return loadHistory();
    const seq = ++loadSeq;
    try {
      const points = await history.points(range, ctx.signal);
      if (seq !== loadSeq || ctx.signal.aborted || !hist) return;
      showHistory({ ...hist, points });
    } catch {
      // keep the charts as they are; the next crawl tries again
    }
  }

  const reloadSoon = debounce(() => void refreshPoints(), 1000);

  const initial = ctx.app.summary();
  if (initial) {
    running = initial.running;
    renderStats(initial);
  }
  renderProgress();
  renderRange();
  void loadHistory();
  void ctx.app.refreshSummary();

  crawlBtn?.addEventListener('click', () => {
    crawlBtn.disabled = true;
    ctx.api.crawlNow().then(
      () => (crawlBtn.disabled = false),
      (err: unknown) => {
        crawlBtn.disabled = false;
        if (!isApiError(err, 'crawl_running')) chartNote.textContent = describeError(err);
      },
    );
  });

  const offs = [
    ctx.app.onSummary((s) => {
      if (!running && s.running) running = s.running;
      renderStats(s);
      renderProgress();
    }),
    ctx.live.on('crawl:started', (p) => {
      running = { crawlId: p.crawlId, visited: 0, queued: 0, inFlight: 0, failed: 0 };
      renderProgress();
    }),
    ctx.live.on('crawl:progress', (p) => {
      running = {
        crawlId: p.crawlId,
        visited: p.visited,
        queued: p.queued,
        inFlight: p.inFlight,
        failed: p.failed,
      };
      renderProgress();
    }),
    ctx.live.on('crawl:finished', (p) => {
      running = null;
      renderProgress();
      if (hist && p.summary.state === 'succeeded') {
        const since = ctx.now() - RANGES[range];
        hist = {
          ...hist,
          kinds: trimKinds(hist.kinds, since, { t: p.summary.startedAt, counts: p.summary.findings }),
        };
      }
      reloadSoon();
    }),
  ];
  const onTheme = ctx.theme.onChange(() => charts.restyle());
  const tick = setInterval(() => renderStats(ctx.app.summary()), 1000);

  return {
    update(next) {
      ctx = next;
      const r = isRange(next.route.query.range) ? next.route.query.range : DEFAULT_RANGE;
      if (r !== range) {
        range = r;
        renderRange();
        void loadHistory();
      }
    },
    destroy() {
      clearInterval(tick);
      reloadSoon.cancel();
      onTheme();
      for (const off of offs) off();
      charts.destroy();
    },
  };
}

export const overviewView: ViewDef = {
  id: 'overview',
  pattern: 'overview',
  title: 'Overview',
  nav: { label: 'Overview', order: 10 },
  mount,
};
