/**
 * The Node view's panels, as DOM builders over GET /nodes/:id: header (identity, health, latest
 * metrics), expected vs reported ring neighbours (mismatches highlighted), findings and signals
 * timelines, threads (stalled highlighted) and connections.
 */
import { h } from '../dom.js';
import { age, bytes, count, dateTime, duration, shortId } from '../format.js';
import { nodeHash } from '../router.js';
import { empty } from '../ui.js';
import type { NodeDetail, StoredSignal } from './endpoints.js';
import { HEALTH_TEXT } from './ring-panels.js';
import { healthBadge, panel, table } from './widgets.js';

const SLOTS = ['L2', 'L1', 'R1', 'R2'] as const;
const SLOT_TEXT = { L2: 'L2 (2nd left)', L1: 'L1 (left)', R1: 'R1 (right)', R2: 'R2 (2nd right)' } as const;

const nodeLink = (key: string | undefined | null) =>
  key
    ? h('a', { href: nodeHash(key), class: 'mono', title: key }, shortId(key))
    : h('span', { class: 'muted' }, 'none');

/** Connection facts the API may add later (RTT, age, bytes); shown when present. */
type Conn = NodeDetail['connections'][number] & {
  rttMs?: number;
  ageSeconds?: number;
  bytesIn?: number;
  bytesOut?: number;
};

export function header(d: NodeDetail, now: number): HTMLElement {
  const o = d.observation;
  return h(
    'section',
    { class: 'panel node-head', id: 'node-head', 'aria-label': 'Node' },
    h(
      'div',
      { class: 'node-health' },
      healthBadge(d.state),
      d.flags
        .filter((f) => f !== d.state && f !== 'ok')
        .map((f) => h('span', { class: 'chip', 'data-flag': f }, HEALTH_TEXT[f])),
      d.present ? null : h('span', { class: 'chip' }, 'Not in the latest crawl'),
    ),
    h(
      'dl',
      { class: 'kv kv-wide' },
      h('dt', {}, 'Node ID'),
      h('dd', { class: 'mono wrap', id: 'node-id' }, d.nodeId ?? 'never identified'),
      h('dt', {}, 'Address'),
      h('dd', { class: 'wrap' }, d.endpoint ?? '—'),
      h('dt', {}, 'Version'),
      h('dd', {}, d.version ?? '—'),
      h('dt', {}, 'Uptime'),
      h(
        'dd',
        {},
        d.startedAt === null ? '—' : `${duration(now - d.startedAt)} (since ${dateTime(d.startedAt)})`,
      ),
      h('dt', {}, 'Last seen'),
      h(
        'dd',
        {},
        d.lastSeenCrawl === null ? '—' : `crawl #${d.lastSeenCrawl}`,
        o ? ` · ${age(o.at, now)}` : '',
      ),
      o
        ? [
            h('dt', {}, 'Now'),
            h(
              'dd',
              {},
              `RSS ${bytes(o.rssBytes)} · heap ${bytes(o.heapUsedBytes)} · queue ${count(o.queueDepth)} msgs · lag ${duration(o.eventLoopLagMs)}`,
            ),
          ]
        : null,
      d.lastError
        ? [
            h('dt', {}, 'Last error'),
            h('dd', { class: 'bad-text' }, `${d.lastError.kind}: ${d.lastError.detail}`),
          ]
        : null,
    ),
  );
}

export function neighbours(d: NodeDetail): HTMLElement {
  const reported = Object.keys(d.mismatch).length > 0;
  const rows = SLOTS.map((slot) => {
    const bad = d.mismatch[slot] === true;
    return h(
      'tr',
      { 'data-slot': slot, class: bad ? 'mismatch' : null },
      h('th', { scope: 'row' }, SLOT_TEXT[slot]),
      h('td', {}, nodeLink(d.expected[slot])),
      h('td', {}, reported ? nodeLink(d.slots[slot]) : h('span', { class: 'muted' }, 'not reported')),
      h(
        'td',
        { class: 'match-cell' },
        !reported
          ? h('span', { class: 'muted' }, '—')
          : bad
            ? h('span', { class: 'tag tag-mismatch' }, h('span', { 'aria-hidden': 'true' }, '⚠ '), 'Mismatch')
            : h('span', { class: 'tag tag-match' }, h('span', { 'aria-hidden': 'true' }, '✓ '), 'Matches'),
      ),
    );
  });
  const t = table(
    {
      id: 'neighbours-table',
      caption: 'Ring neighbours: expected by the true ring order vs reported by the node',
      columns: [{ label: 'Slot' }, { label: 'Expected' }, { label: 'Reported' }, { label: 'Check' }],
    },
    rows,
  );
  const bad = SLOTS.filter((s) => d.mismatch[s]).length;
  return panel(
    'node-neighbours',
    'Neighbours',
    h(
      'p',
      { class: bad ? 'bad-text' : 'muted' },
      !reported
        ? 'The node did not report neighbours in the latest crawl (unreachable or absent).'
        : bad
          ? `${bad} of ${SLOTS.length} slots differ from the true ring order.`
          : 'Every slot matches the true ring order.',
    ),
    t.wrap,
  );
}

function signalText(s: StoredSignal): string {
  return `${s.kind.replace(/_/g, ' ')}${s.thread ? ` (${s.thread})` : ''}`;
}

export function timeline(d: NodeDetail): HTMLElement {
  type Item = { t: number; open: boolean; kind: string; detail: string; where: string };
  const items: Item[] = [
    ...[...d.findings.open, ...d.findings.recent].map((f) => ({
      t: f.since,
      open: f.toCrawl === null,
      kind: f.kind.replace(/_/g, ' ') + (f.slot ? ` (${f.slot})` : ''),
      detail: f.detail,
      where:
        f.toCrawl === null ? `open since crawl #${f.fromCrawl}` : `crawls #${f.fromCrawl}–#${f.toCrawl - 1}`,
    })),
  ].sort((a, b) => b.t - a.t);
  const findings =
    items.length === 0
      ? empty('No findings', 'The analysis found nothing wrong with this node recently.')
      : h(
          'ol',
          { class: 'timeline', id: 'findings-timeline' },
          items.map((i) =>
            h(
              'li',
              { class: i.open ? 'open' : 'closed' },
              h('time', {}, dateTime(i.t)),
              h('span', { class: `tag ${i.open ? 'tag-open' : 'tag-closed'}` }, i.open ? 'open' : 'closed'),
              h('strong', {}, i.kind),
              h('span', {}, i.detail),
              h('span', { class: 'muted' }, i.where),
            ),
          ),
        );
  const sigs = [...d.signals.active, ...d.signals.recent].sort((a, b) => b.since - a.since);
  const signals =
    sigs.length === 0
      ? empty('No signals', 'No detector has flagged this node.')
      : h(
          'ol',
          { class: 'timeline', id: 'signals-timeline' },
          sigs.map((s) =>
            h(
              'li',
              { class: s.active ? 'open' : 'closed' },
              h('time', {}, dateTime(s.since)),
              h(
                'span',
                { class: `tag ${s.active ? 'tag-open' : 'tag-closed'}` },
                s.active ? 'active' : 'cleared',
              ),
              h('strong', {}, signalText(s)),
              h('span', {}, s.detail),
              h(
                'span',
                { class: 'muted' },
                s.toCrawl === null ? `since crawl #${s.fromCrawl}` : `until crawl #${s.toCrawl}`,
              ),
            ),
          ),
        );
  return panel(
    'node-findings',
    'Findings and signals',
    h('h3', { class: 'subhead' }, `Findings (${count(d.findings.open.length)} open)`),
    findings,
    h('h3', { class: 'subhead' }, `Signals (${count(d.signals.active.length)} active)`),
    signals,
  );
}

export function threads(d: NodeDetail): HTMLElement {
  const names = [...new Set([...d.threads, ...d.stalledThreads])];
  const stalled = new Set(d.stalledThreads);
  if (names.length === 0) return panel('node-threads', 'Threads', empty('No threads reported'));
  const t = table(
    {
      id: 'threads-table',
      caption: 'Threads and their liveness',
      columns: [{ label: 'Thread' }, { label: 'Liveness' }],
    },
    names.map((n) =>
      h(
        'tr',
        { class: stalled.has(n) ? 'stalled' : null, 'data-thread': n },
        h('th', { scope: 'row', class: 'mono' }, n),
        h(
          'td',
          {},
          stalled.has(n)
            ? h('span', { class: 'tag tag-mismatch' }, h('span', { 'aria-hidden': 'true' }, '⏸ '), 'Stalled')
            : h('span', { class: 'tag tag-match' }, 'Alive'),
        ),
      ),
    ),
  );
  return panel('node-threads', 'Threads', t.wrap);
}

export function connections(d: NodeDetail): HTMLElement {
  const conns = d.connections as Conn[];
  if (conns.length === 0) return panel('node-connections', 'Connections', empty('No connections reported'));
  const has = (k: 'rttMs' | 'ageSeconds' | 'bytesIn') => conns.some((c) => c[k] !== undefined);
  const extra = [
    has('rttMs')
      ? { label: 'RTT', cell: (c: Conn) => (c.rttMs === undefined ? '—' : duration(c.rttMs)) }
      : null,
    has('ageSeconds')
      ? {
          label: 'Age',
          cell: (c: Conn) => (c.ageSeconds === undefined ? '—' : duration(c.ageSeconds * 1000)),
        }
      : null,
    has('bytesIn')
      ? {
          label: 'Bytes in / out',
          cell: (c: Conn) =>
            c.bytesIn === undefined ? '—' : `${bytes(c.bytesIn)} / ${bytes(c.bytesOut ?? null)}`,
        }
      : null,
  ].filter((x) => x !== null);
  const t = table(
    {
      id: 'connections-table',
      caption: 'Connections the node reported',
      columns: [
        { label: 'Kind' },
        { label: 'Peer' },
        { label: 'Via' },
        ...extra.map((x) => ({ label: x.label, num: true })),
      ],
    },
    [...conns]
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.peer.localeCompare(b.peer))
      .map((c) =>
        h(
          'tr',
          {},
          h(
            'td',
            {},
            h('span', { class: `edge-swatch edge-${c.kind}`, 'aria-hidden': 'true' }),
            ` ${c.kind}`,
          ),
          h('td', {}, nodeLink(c.peer)),
          h('td', {}, c.via ? nodeLink(c.via) : '—'),
          extra.map((x) => h('td', { class: 'num' }, x.cell(c))),
        ),
      ),
  );
  return panel(
    'node-connections',
    `Connections (${count(conns.length)})`,
    t.wrap,
    extra.length === 0
      ? h('p', { class: 'hint' }, 'RTT, age and bytes per connection are not recorded by this server.')
      : null,
  );
}
