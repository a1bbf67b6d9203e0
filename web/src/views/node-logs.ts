/**
 * The Node view's logs panel: operators pull a node's recent logs (tail, since, level → POST
 * /nodes/:id/logs); the records show in a table filtered as you type, downloadable as JSON or text;
 * earlier pulls are listed (GET /nodes/:id/logs) and open on click (GET /log-pulls/:id).
 */
import { debounce, h, replace } from '../dom.js';
import { bytes, count, dateTime } from '../format.js';
import { empty, failure, loading } from '../ui.js';
import {
  LOG_LEVELS,
  LOG_TAIL,
  type Endpoints,
  type LogLevel,
  type LogPull,
  type LogRecord,
} from './endpoints.js';
import { downloadLink, errorMessage, field, notice, panel, select, table } from './widgets.js';

/** Rows drawn at most (the download has them all). */
const MAX_ROWS = 2000;

const SINCE: readonly (readonly [string, string])[] = [
  ['', 'Any time'],
  ['300', 'Last 5 minutes'],
  ['900', 'Last 15 minutes'],
  ['3600', 'Last hour'],
  ['21600', 'Last 6 hours'],
  ['86400', 'Last 24 hours'],
];

/** What each failure of a pull means, in words an operator can act on. */
export const PULL_ERRORS = {
  node_unreachable:
    "The node's agent could not be reached: the node is down, or its endpoint is not reachable from the server.",
  agent_auth_failed:
    "The node's agent refused Ringwatch's log token: check agents.logToken here and on the node (or logs are disabled there).",
  log_too_large:
    'The logs are larger than the server accepts: pull fewer lines (a smaller tail), a shorter time range or a higher level.',
  agent_error: "The node's agent answered something Ringwatch cannot use.",
  unavailable: 'Log pulls are not configured on this server (no agent log token).',
  not_found: 'Ringwatch does not know this node.',
} as const;

const recordText = (r: LogRecord) =>
  `${r.time} ${r.level.toUpperCase().padEnd(5)} ${r.msg}${r.fields && Object.keys(r.fields).length ? ` ${JSON.stringify(r.fields)}` : ''}`;

const paramsText = (p: LogPull['params']) =>
  [
    `tail ${count(p.tail)}`,
    p.sinceSeconds !== undefined ? `since ${count(p.sinceSeconds)} s` : null,
    p.level ? `level ≥ ${p.level}` : null,
  ]
    .filter(Boolean)
    .join(', ');

export interface LogsPanel {
  el: HTMLElement;
  /** Reload the list of earlier pulls. */
  refreshList(): void;
  destroy(): void;
}

export function createLogsPanel(deps: {
  ep: Endpoints;
  nodeKey: string;
  canPull: boolean;
  signal: AbortSignal;
}): LogsPanel {
  const { ep, nodeKey, signal } = deps;
  let shown: LogPull | null = null;
  const status = h('div', { id: 'pull-status', 'aria-live': 'polite' });
  const result = h('div', { id: 'log-result' });
  const list = h('div', { id: 'log-pulls' }, loading('Loading earlier pulls…'));
  const jsonLink = downloadLink('Download JSON', { id: 'log-download-json' });
  const textLink = downloadLink('Download text', { id: 'log-download-text' });

  let form: HTMLFormElement | null = null;
  if (deps.canPull) {
    const tail = h('input', {
      type: 'number',
      id: 'pull-tail',
      min: 1,
      max: LOG_TAIL.max,
      step: 1,
      value: LOG_TAIL.default,
      required: true,
    });
    const since = select('pull-since', SINCE, '');
    const level = select(
      'pull-level',
      [['', 'Any level'], ...LOG_LEVELS.map((l) => [l, `${l} and above`] as const)],
      '',
    );
    const submit = h('button', { type: 'submit', class: 'btn btn-primary', id: 'pull-submit' }, 'Pull logs');
    form = h(
      'form',
      { class: 'pull-form', id: 'pull-form', 'aria-label': 'Pull logs from the node', novalidate: true },
      field('Lines (tail)', tail, `1 to ${count(LOG_TAIL.max)}, newest last`),
      field('Since', since),
      field('Level', level),
      h('div', { class: 'field field-submit' }, submit),
    );
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const n = Number(tail.value);
      if (!Number.isInteger(n) || n < 1 || n > LOG_TAIL.max) {
        tail.setAttribute('aria-invalid', 'true');
        replace(status, notice('error', `Lines must be a whole number from 1 to ${count(LOG_TAIL.max)}.`));
        tail.focus();
        return;
      }
      tail.removeAttribute('aria-invalid');
      const params: { tail: number; sinceSeconds?: number; level?: LogLevel } = { tail: n };
      if (since.value) params.sinceSeconds = Number(since.value);
      if (level.value) params.level = level.value as LogLevel;
      submit.disabled = true;
      replace(status, loading('Pulling logs from the node…'));
      ep.pullLogs(nodeKey, params).then(
        (pull) => {
          submit.disabled = false;
          if (signal.aborted) return;
          replace(
            status,
            notice(
              'ok',
              `Pulled ${count(pull.lines)} records (${bytes(pull.bytes)})${pull.truncated ? ', older ones cut off by the limits' : ''}.`,
            ),
          );
          show(pull);
          refreshList();
        },
        (err: unknown) => {
          submit.disabled = false;
          if (signal.aborted) return;
          replace(status, notice('error', errorMessage(err, PULL_ERRORS)));
        },
      );
    });
  }

  const filterInput = h('input', {
    type: 'search',
    id: 'log-filter',
    placeholder: 'Filter records (message, level, fields)',
    autocomplete: 'off',
    'aria-controls': 'log-table',
  });
  const filterCount = h('span', { class: 'muted', id: 'log-filter-count', 'aria-live': 'polite' });

  function renderRecords() {
    if (!shown) return;
    const records = shown.records ?? [];
    const q = filterInput.value.trim().toLowerCase();
    const matching = q ? records.filter((r) => recordText(r).toLowerCase().includes(q)) : records;
    filterCount.textContent = q
      ? `${count(matching.length)} of ${count(records.length)} records match`
      : `${count(records.length)} records`;
    const tbody = result.querySelector<HTMLTableSectionElement>('#log-table tbody');
    if (!tbody) return;
    replace(
      tbody,
      matching
        .slice(0, MAX_ROWS)
        .map((r) =>
          h(
            'tr',
            { class: `log-${r.level}` },
            h('td', { class: 'mono' }, r.time),
            h('td', {}, h('span', { class: `level level-${r.level}` }, r.level)),
            h('td', { class: 'log-msg' }, r.msg),
            h(
              'td',
              { class: 'mono log-fields' },
              r.fields && Object.keys(r.fields).length ? JSON.stringify(r.fields) : '',
            ),
          ),
        ),
    );
    if (matching.length > MAX_ROWS)
      tbody.append(
        h(
          'tr',
          {},
          h(
            'td',
            { colspan: 4, class: 'muted' },
            `${count(matching.length - MAX_ROWS)} more: download to see them all.`,
          ),
        ),
      );
  }
  const refilter = debounce(renderRecords, 120);
  filterInput.addEventListener('input', () => refilter());

  function show(pull: LogPull) {
    shown = pull;
    const records = pull.records ?? [];
    const base = `logs-${pull.nodeKey.match(/^[0-9a-f]{40}$/) ? pull.nodeKey.slice(0, 12) : 'node'}-pull${pull.id}`;
    jsonLink.set(`${base}.json`, 'application/json', JSON.stringify(pull, null, 2));
    textLink.set(`${base}.txt`, 'text/plain', records.map(recordText).join('\n') + '\n');
    const t = table(
      {
        id: 'log-table',
        caption: `Log records of pull ${pull.id}, oldest first`,
        columns: [{ label: 'Time' }, { label: 'Level' }, { label: 'Message' }, { label: 'Fields' }],
        class: 'log-table',
      },
      [],
    );
    replace(
      result,
      h(
        'div',
        { class: 'log-head' },
        h('h3', { id: 'log-result-title' }, `Pull #${pull.id}`),
        h(
          'span',
          { class: 'muted' },
          `${dateTime(pull.requestedAt)} by ${pull.requestedBy} · ${paramsText(pull.params)} · ${count(pull.lines)} records, ${bytes(pull.bytes)}`,
          pull.truncated ? ' · truncated' : '',
        ),
      ),
      h(
        'div',
        { class: 'toolbar' },
        h(
          'div',
          { class: 'field field-inline grow' },
          h('label', { for: 'log-filter' }, 'Filter'),
          filterInput,
        ),
        filterCount,
        jsonLink.el,
        textLink.el,
      ),
      records.length === 0
        ? empty('No records', 'The agent had no log records matching the request.')
        : t.wrap,
    );
    renderRecords();
  }

  async function open(id: number) {
    replace(result, loading(`Loading pull #${id}…`));
    try {
      const pull = await ep.logPull(id, signal);
      if (!signal.aborted) show(pull);
    } catch (err) {
      if (!signal.aborted)
        replace(
          result,
          failure(err, () => void open(id)),
        );
    }
  }

  async function loadList() {
    try {
      const page = await ep.logPulls(nodeKey, signal);
      if (signal.aborted) return;
      if (page.items.length === 0) {
        replace(
          list,
          empty(
            'No pulls yet',
            deps.canPull ? 'Pull logs with the form above.' : 'An operator can pull this node’s logs.',
          ),
        );
        return;
      }
      const t = table(
        {
          id: 'log-pulls-table',
          caption: 'Earlier log pulls of this node, newest first',
          columns: [
            { label: 'Pull' },
            { label: 'When' },
            { label: 'By' },
            { label: 'Request' },
            { label: 'Records', num: true },
            { label: 'Size', num: true },
          ],
        },
        page.items.map((p) =>
          h(
            'tr',
            { 'data-pull': p.id, class: shown?.id === p.id ? 'selected' : null },
            h(
              'th',
              { scope: 'row' },
              h(
                'button',
                {
                  type: 'button',
                  class: 'linkish',
                  'aria-label': `Show pull ${p.id}`,
                  onclick: () => void open(p.id),
                },
                `#${p.id}`,
              ),
            ),
            h('td', {}, dateTime(p.requestedAt)),
            h('td', {}, p.requestedBy),
            h('td', {}, paramsText(p.params)),
            h('td', { class: 'num' }, count(p.lines), p.truncated ? ' (truncated)' : ''),
            h('td', { class: 'num' }, bytes(p.bytes)),
          ),
        ),
      );
      replace(list, t.wrap);
    } catch (err) {
      if (!signal.aborted)
        replace(
          list,
          failure(err, () => void loadList()),
        );
    }
  }
  const refreshList = () => void loadList();
  void loadList();

  const el = panel(
    'node-logs',
    'Logs',
    form,
    status,
    result,
    h('h3', { class: 'subhead' }, 'Earlier pulls'),
    list,
  );
  return {
    el,
    refreshList,
    destroy() {
      refilter.cancel();
      jsonLink.revoke();
      textLink.revoke();
    },
  };
}
