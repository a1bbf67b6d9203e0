/**
 * Crawls view: the crawl history (newest first, paged), and a time slider over the crawls whose
 * topology is retained. Picking a crawl opens `#/ring?crawl=<id>`: the ring exactly as it was.
 */
import { h, replace } from '../dom.js';
import { count, dateTime, duration, percent } from '../format.js';
import { formatHash } from '../router.js';
import type { CrawlRecord } from '../types.js';
import { empty, failure, loading } from '../ui.js';
import type { ViewContext, ViewDef, ViewHandle } from '../view.js';

const PAGE = 100;

/** Column headings; true: a numeric column (right-aligned). */
const COLUMNS: [string, boolean][] = [
  ['Crawl', false],
  ['Started', false],
  ['State', false],
  ['Duration', true],
  ['Reachable / found', true],
  ['Consistency', true],
  ['Rings', true],
  ['Findings', true],
  ['Ring', false],
];

const findingsTotal = (c: CrawlRecord) =>
  c.findingsTotal ?? Object.values(c.findings).reduce((a, b) => a + (b ?? 0), 0);

function row(c: CrawlRecord): HTMLTableRowElement {
  const viewable = c.data === 'raw';
  return h(
    'tr',
    { 'data-crawl': c.id, class: `crawl-${c.state}` },
    h(
      'th',
      { scope: 'row' },
      viewable
        ? h(
            'a',
            { href: formatHash('ring', { crawl: c.id }), 'aria-label': `Ring at crawl ${c.id}` },
            `#${c.id}`,
          )
        : `#${c.id}`,
    ),
    h('td', {}, dateTime(c.startedAt)),
    h(
      'td',
      {},
      h('span', { class: `tag tag-${c.state}` }, c.state),
      c.reason ? h('span', { class: 'muted' }, ` ${c.reason}`) : null,
    ),
    h('td', { class: 'num' }, duration(c.durationMs)),
    h('td', { class: 'num' }, c.discovered === null ? '—' : `${count(c.reachable)} / ${count(c.discovered)}`),
    h('td', { class: 'num' }, percent(c.consistency)),
    h('td', { class: 'num' }, count(c.rings)),
    h('td', { class: 'num' }, c.state === 'succeeded' ? count(findingsTotal(c)) : '—'),
    h(
      'td',
      {},
      viewable
        ? h('a', { href: formatHash('ring', { crawl: c.id }) }, 'View ring')
        : h('span', { class: 'muted' }, c.data === 'pruned' ? 'pruned' : 'no data'),
    ),
  );
}

function mount(host: HTMLElement, ctx: ViewContext): ViewHandle {
  let crawls: CrawlRecord[] = [];
  let cursor: string | null = null;
  let busy = false;
  let pages = 0;
  /** The crawl the slider was moved to (kept when the list refreshes); null: the newest. */
  let sliderCrawl: number | null = null;
  const sliderBox = h('section', { class: 'panel time-travel', 'aria-labelledby': 'tt-title' });
  const tbody = h('tbody', {});
  const more = h(
    'button',
    { type: 'button', class: 'btn', id: 'crawls-more', hidden: true },
    'Load older crawls',
  );
  const body = h('div', {}, loading('Loading crawls…'));
  replace(
    host,
    h(
      'div',
      { class: 'view-head' },
      h('h1', {}, 'Crawls'),
      h('p', { class: 'muted' }, 'Every crawl, newest first. Open one to see the ring as it was.'),
    ),
    sliderBox,
    body,
  );

  const table = h(
    'table',
    { class: 'table', id: 'crawls-table' },
    h('caption', { class: 'sr-only' }, 'Crawl history, newest first'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        COLUMNS.map(([t, num]) => h('th', { scope: 'col', class: num ? 'num' : null }, t)),
      ),
    ),
    tbody,
  );

  function renderSlider() {
    const viewable = crawls.filter((c) => c.data === 'raw').reverse(); // oldest first
    if (viewable.length === 0) {
      replace(
        sliderBox,
        h('h2', { id: 'tt-title', class: 'panel-title' }, 'Time travel'),
        h('p', { class: 'muted' }, 'No crawl with a retained topology yet.'),
      );
      return;
    }
    const at = sliderCrawl === null ? -1 : viewable.findIndex((c) => c.id === sliderCrawl);
    const input = h('input', {
      type: 'range',
      id: 'time-slider',
      min: 0,
      max: viewable.length - 1,
      step: 1,
      value: at >= 0 ? at : viewable.length - 1,
      'aria-describedby': 'time-slider-value',
    });
    const out = h('output', { id: 'time-slider-value', for: 'time-slider' });
    const open = h('a', { class: 'btn btn-primary', id: 'time-open' }, 'Show this ring');
    const show = () => {
      const c = viewable[Number(input.value)]!;
      out.textContent = `Crawl #${c.id} · ${dateTime(c.startedAt)} · ${count(c.reachable)} nodes reachable · consistency ${percent(c.consistency)}`;
      input.setAttribute('aria-valuetext', `crawl ${c.id}, ${dateTime(c.startedAt)}`);
      open.setAttribute('href', formatHash('ring', { crawl: c.id }));
    };
    input.addEventListener('input', () => {
      sliderCrawl = viewable[Number(input.value)]!.id;
      show();
    });
    // Releasing a dragged slider, or Enter on it, opens that crawl's ring (arrow keys only move it).
    const go = () => ctx.navigate(formatHash('ring', { crawl: viewable[Number(input.value)]!.id }));
    let dragging = false;
    input.addEventListener('pointerdown', () => (dragging = true));
    input.addEventListener('change', () => {
      if (dragging) go();
      dragging = false;
    });
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') go();
    });
    show();
    replace(
      sliderBox,
      h('h2', { id: 'tt-title', class: 'panel-title' }, 'Time travel'),
      h(
        'label',
        { for: 'time-slider' },
        `Drag through the last ${count(viewable.length)} crawls with a topology`,
      ),
      h(
        'div',
        { class: 'slider-row' },
        h('span', { class: 'muted' }, dateTime(viewable[0]!.startedAt)),
        input,
        h('span', { class: 'muted' }, dateTime(viewable.at(-1)!.startedAt)),
      ),
      out,
      ' ',
      open,
    );
  }

  function render() {
    if (crawls.length === 0) {
      replace(
        body,
        empty('No crawl yet', 'Crawls run on the schedule; the first one appears here when it starts.'),
      );
    } else {
      replace(tbody, crawls.map(row));
      more.hidden = cursor === null;
      if (body.firstChild !== table) replace(body, h('div', { class: 'table-wrap' }, table), more);
    }
    renderSlider();
  }

  async function loadFirst() {
    try {
      const page = await ctx.api.crawls({ limit: PAGE }, ctx.signal);
      if (ctx.signal.aborted) return;
      // Keep older pages already loaded; the newest page replaces what it covers.
      const byId = new Map(crawls.map((c) => [c.id, c]));
      for (const c of page.items) byId.set(c.id, c);
      crawls = [...byId.values()].sort((a, b) => b.id - a.id);
      if (pages <= 1) {
        pages = 1;
        cursor = page.nextCursor;
      }
      render();
    } catch (err) {
      if (!ctx.signal.aborted)
        replace(
          body,
          failure(err, () => void loadFirst()),
        );
    }
  }

  more.addEventListener('click', () => {
    if (busy || cursor === null) return;
    busy = true;
    more.disabled = true;
    ctx.api.crawls({ limit: PAGE, cursor }, ctx.signal).then(
      (page) => {
        busy = false;
        more.disabled = false;
        crawls = [...crawls, ...page.items];
        cursor = page.nextCursor;
        pages++;
        render();
      },
      (err: unknown) => {
        busy = false;
        more.disabled = false;
        if (!ctx.signal.aborted) body.append(failure(err));
      },
    );
  });

  const offs = [
    ctx.live.on('crawl:started', () => void loadFirst()),
    ctx.live.on('crawl:finished', () => void loadFirst()),
  ];
  void loadFirst();
  return {
    update() {},
    destroy() {
      for (const off of offs) off();
    },
  };
}

export const crawlsView: ViewDef = {
  id: 'crawls',
  pattern: 'crawls',
  title: 'Crawls',
  nav: { label: 'Crawls', order: 30 },
  mount,
};
