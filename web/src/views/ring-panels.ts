/**
 * The Ring view's side parts, as small DOM builders: legend with counts, edge-kind toggles, search by
 * ID prefix, the selected node's card, and the table of unhealthy nodes (the text alternative of the
 * drawing for screen readers and keyboard users).
 */
import { h, replace } from '../dom.js';
import { count, shortId } from '../format.js';
import {
  disagreeing,
  healthCounts,
  healthOf,
  neighbours,
  searchPrefix,
  unhealthy,
  type RingModel,
} from '../ring/model.js';
import { nodeHash } from '../router.js';
import { EDGE_KINDS, HEALTHS, type EdgeKind, type NodeHealth } from '../types.js';

export const HEALTH_TEXT: Record<NodeHealth, string> = {
  ok: 'OK',
  inconsistent: 'Inconsistent',
  persistent: 'Persistently inconsistent',
  stalled: 'Stalled thread',
  unreachable: 'Unreachable',
  lost: 'Lost',
};

const EDGE_TEXT: Record<EdgeKind, string> = {
  L1: 'L1 (left)',
  R1: 'R1 (right)',
  L2: 'L2',
  R2: 'R2',
  near: 'Near',
  shortcut: 'Shortcut',
  relay: 'Relay',
  leaf: 'Leaf',
};

/** Edge kinds shown when the URL does not say. */
export const DEFAULT_KINDS: readonly EdgeKind[] = ['L1', 'R1', 'L2', 'R2', 'near', 'shortcut', 'relay'];

/** `edges=L1,R1` → the set; absent or invalid → the defaults. */
export function kindsFromQuery(v: string | undefined): Set<EdgeKind> {
  if (v === undefined) return new Set(DEFAULT_KINDS);
  if (v === 'none') return new Set();
  const ks = v.split(',').filter((k): k is EdgeKind => (EDGE_KINDS as readonly string[]).includes(k));
  return new Set(ks);
}

/** The set as a query value, null when it is the default. */
export function kindsToQuery(kinds: ReadonlySet<EdgeKind>): string | null {
  const list = EDGE_KINDS.filter((k) => kinds.has(k));
  if (list.length === DEFAULT_KINDS.length && DEFAULT_KINDS.every((k) => kinds.has(k))) return null;
  return list.length ? list.join(',') : 'none';
}

export function renderLegend(el: HTMLElement, m: RingModel | null): void {
  const c = m ? healthCounts(m) : null;
  replace(
    el,
    h('h2', { class: 'panel-title' }, 'Health'),
    h(
      'ul',
      { class: 'legend' },
      HEALTHS.map((hl) =>
        h(
          'li',
          {},
          h('span', { class: `swatch swatch-${hl}`, 'aria-hidden': 'true' }),
          h('span', { class: 'legend-label' }, HEALTH_TEXT[hl]),
          h('span', { class: 'legend-count' }, c ? count(c[hl]) : '—'),
        ),
      ),
    ),
  );
}

export function renderToggles(
  el: HTMLElement,
  kinds: ReadonlySet<EdgeKind>,
  big: boolean,
  onChange: (kinds: Set<EdgeKind>) => void,
): void {
  const boxes = EDGE_KINDS.map((k) => {
    const input = h('input', { type: 'checkbox', id: `edge-${k}`, value: k, checked: kinds.has(k) });
    input.addEventListener('change', () =>
      onChange(new Set(boxes.filter((b) => b.checked).map((b) => b.value as EdgeKind))),
    );
    return input;
  });
  replace(
    el,
    h(
      'fieldset',
      { class: 'toggles' },
      h('legend', { class: 'panel-title' }, 'Edges'),
      EDGE_KINDS.map((k, i) =>
        h(
          'label',
          { class: 'toggle', for: `edge-${k}` },
          boxes[i],
          h('span', { class: `edge-swatch edge-${k.toLowerCase()}`, 'aria-hidden': 'true' }),
          EDGE_TEXT[k],
        ),
      ),
      big
        ? h(
            'p',
            { class: 'hint' },
            'Large ring: only L1/R1 are drawn; a node’s other edges appear on hover or selection.',
          )
        : null,
    ),
  );
}

/** The search box; `onPick` gets the chosen key. Enter picks the first match. */
export function createSearch(getModel: () => RingModel | null, onPick: (key: string) => void): HTMLElement {
  const input = h('input', {
    type: 'search',
    id: 'node-search',
    placeholder: 'ID prefix, e.g. 3fa9',
    autocomplete: 'off',
    spellcheck: 'false',
    'aria-describedby': 'node-search-status',
    'aria-controls': 'node-search-results',
  });
  const results = h('ul', { class: 'search-results', id: 'node-search-results' });
  const status = h('p', { class: 'sr-only', id: 'node-search-status', 'aria-live': 'polite' });
  let found: string[] = [];
  const refresh = () => {
    const m = getModel();
    const q = input.value.trim();
    const hits = m && q ? searchPrefix(m, q, 8) : [];
    found = hits.map((n) => n.key);
    replace(
      results,
      hits.map((n) =>
        h(
          'li',
          {},
          h(
            'button',
            { type: 'button', class: 'linkish', onclick: () => onPick(n.key) },
            h('code', {}, shortId(n.key)),
            ` ${HEALTH_TEXT[healthOf(n)]}`,
          ),
        ),
      ),
    );
    status.textContent = q
      ? `${hits.length === 8 ? '8 or more' : hits.length} matching node${hits.length === 1 ? '' : 's'}`
      : '';
  };
  input.addEventListener('input', refresh);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && found[0]) {
      e.preventDefault();
      onPick(found[0]);
    }
  });
  return h(
    'div',
    { class: 'search', role: 'search' },
    h('label', { for: 'node-search', class: 'panel-title' }, 'Find a node'),
    input,
    status,
    results,
  );
}

/** The selected node's card (or nothing). */
export function renderSelection(
  el: HTMLElement,
  m: RingModel | null,
  key: string | null,
  onClear: () => void,
): void {
  const n = key && m ? m.nodes.get(key) : undefined;
  if (!n || !m) {
    el.hidden = true;
    el.replaceChildren();
    return;
  }
  el.hidden = false;
  const nb = neighbours(m, n.key);
  const dis = [...disagreeing(m, n.key)];
  replace(
    el,
    h('h2', { class: 'panel-title' }, 'Selected node'),
    h(
      'dl',
      { class: 'kv' },
      h('dt', {}, 'ID'),
      h('dd', {}, h('code', { class: 'wrap' }, n.nodeId ?? '—')),
      h('dt', {}, 'Address'),
      h('dd', {}, n.endpoint ?? '—'),
      h('dt', {}, 'Health'),
      h(
        'dd',
        {},
        h('span', { class: `swatch swatch-${healthOf(n)}`, 'aria-hidden': 'true' }),
        ' ',
        HEALTH_TEXT[healthOf(n)],
      ),
      h('dt', {}, 'Score'),
      h(
        'dd',
        {},
        n.score === null ? '—' : `${Math.round(n.score * 4)} / 4 mirror checks`,
        n.score !== null && n.scoreAt !== m.crawlId
          ? h('span', { class: 'muted' }, ` (as of crawl #${n.scoreAt})`)
          : null,
      ),
      h('dt', {}, 'Neighbours'),
      h('dd', {}, count(nb.size)),
      h('dt', {}, 'Disagree with it'),
      h(
        'dd',
        { id: 'disagreeing' },
        dis.length ? dis.map((k) => h('code', { class: 'chip' }, shortId(k))) : 'none',
      ),
    ),
    h(
      'p',
      {},
      h('a', { href: nodeHash(n.key), class: 'btn' }, 'Node details'),
      ' ',
      h('button', { type: 'button', class: 'btn btn-ghost', onclick: onClear }, 'Clear selection'),
    ),
  );
}

const TABLE_MAX = 200;

/** The unhealthy-node table; each row's ID button selects the node. */
export function renderUnhealthy(el: HTMLElement, m: RingModel | null, onSelect: (key: string) => void): void {
  const rows = m ? unhealthy(m) : [];
  const summary = h(
    'summary',
    {},
    m ? `Unhealthy nodes (${count(rows.length)} of ${count(m.nodes.size)})` : 'Unhealthy nodes',
  );
  if (!m) {
    replace(el, summary);
    return;
  }
  replace(
    el,
    summary,
    rows.length === 0
      ? h('p', { class: 'muted' }, 'Every node is OK.')
      : h(
          'table',
          { class: 'table', id: 'unhealthy-table' },
          h('caption', { class: 'sr-only' }, 'Nodes that are not OK, worst first'),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', { scope: 'col' }, 'Node'),
              h('th', { scope: 'col' }, 'Address'),
              h('th', { scope: 'col' }, 'Health'),
            ),
          ),
          h(
            'tbody',
            {},
            rows.slice(0, TABLE_MAX).map((n) =>
              h(
                'tr',
                { 'data-key': n.key },
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'linkish',
                      onclick: () => onSelect(n.key),
                      'aria-label': `Select node ${n.key}`,
                    },
                    h('code', {}, shortId(n.key)),
                  ),
                ),
                h('td', {}, n.endpoint ?? '—'),
                h(
                  'td',
                  { class: `health-cell health-${healthOf(n)}` },
                  h('span', { class: `swatch swatch-${healthOf(n)}`, 'aria-hidden': 'true' }),
                  ' ',
                  HEALTH_TEXT[healthOf(n)],
                ),
              ),
            ),
          ),
        ),
    rows.length > TABLE_MAX ? h('p', { class: 'muted' }, `Showing the worst ${TABLE_MAX}.`) : null,
  );
}
