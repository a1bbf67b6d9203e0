/**
 * The Alerts view's side lists: silences in force or scheduled (operators can expire one), and the
 * notification channels (operators can send a test notification through one).
 */
import { h, replace } from '../dom.js';
import { dateTime, duration } from '../format.js';
import { empty, failure, loading } from '../ui.js';
import type { Endpoints, Matcher, Silence } from './endpoints.js';
import { confirmButton, errorMessage, notice, table } from './widgets.js';

const matcherText = (m: Matcher) =>
  `${m.name}${m.isEqual ? (m.isRegex ? '=~' : '=') : m.isRegex ? '!~' : '!='}"${m.value}"`;

/** Fill `host` with the pending and active silences. */
export async function loadSilences(
  host: HTMLElement,
  deps: { ep: Endpoints; canEdit: boolean; signal: AbortSignal; now: () => number; changed: () => void },
): Promise<void> {
  const { ep, signal } = deps;
  if (!host.firstChild) replace(host, loading('Loading silences…'));
  let items: Silence[];
  try {
    const [active, pending] = await Promise.all([
      ep.silences('active', signal),
      ep.silences('pending', signal),
    ]);
    items = [...pending.items, ...active.items];
  } catch (err) {
    if (!signal.aborted)
      replace(
        host,
        failure(err, () => void loadSilences(host, deps)),
      );
    return;
  }
  if (signal.aborted) return;
  if (items.length === 0) {
    replace(
      host,
      empty('No silences', 'Silence an alert from its card to mute its notifications for a while.'),
    );
    return;
  }
  const now = deps.now();
  const msg = h('div', { 'aria-live': 'polite' });
  const t = table(
    {
      id: 'silences-table',
      caption: 'Silences in force or scheduled',
      columns: [
        { label: 'Matchers' },
        { label: 'State' },
        { label: 'Starts' },
        { label: 'Ends' },
        { label: 'By' },
        { label: 'Comment' },
        ...(deps.canEdit ? [{ label: 'Actions', hidden: true }] : []),
      ],
    },
    items.map((s) =>
      h(
        'tr',
        { 'data-silence': s.id },
        h(
          'td',
          {},
          s.matchers.map((m) => h('code', { class: 'chip' }, matcherText(m))),
        ),
        h('td', {}, h('span', { class: `tag tag-${s.state}` }, s.state)),
        h('td', {}, dateTime(s.startsAt)),
        h('td', {}, dateTime(s.endsAt), h('span', { class: 'muted' }, ` (in ${duration(s.endsAt - now)})`)),
        h('td', {}, s.createdBy),
        h('td', { class: 'wrap-cell' }, s.comment || '—'),
        deps.canEdit
          ? h(
              'td',
              {},
              confirmButton(
                'Expire',
                'Expire now?',
                () => {
                  ep.expireSilence(s.id).then(
                    () => deps.changed(),
                    (err: unknown) => replace(msg, notice('error', errorMessage(err))),
                  );
                },
                { 'aria-label': `Expire silence ${s.id}`, id: `expire-silence-${s.id}` },
              ),
            )
          : null,
      ),
    ),
  );
  replace(host, msg, t.wrap);
}

/** Fill `host` with the notification channels. */
export async function loadChannels(
  host: HTMLElement,
  deps: { ep: Endpoints; canTest: boolean; signal: AbortSignal },
): Promise<void> {
  const { ep, signal } = deps;
  replace(host, loading('Loading channels…'));
  try {
    const page = await ep.channels(signal);
    if (signal.aborted) return;
    if (page.items.length === 0) {
      replace(
        host,
        empty('No channels', 'Configure webhook, Slack, Alertmanager or e-mail channels under alerting.'),
      );
      return;
    }
    const results = new Map<string, HTMLElement>();
    const t = table(
      {
        id: 'channels-table',
        caption: 'Notification channels',
        columns: [
          { label: 'Channel' },
          { label: 'Kind' },
          ...(deps.canTest ? [{ label: 'Test' }, { label: 'Result' }] : []),
        ],
      },
      page.items.map((c) => {
        const out = h('span', { 'aria-live': 'polite', class: 'test-result' });
        results.set(c.name, out);
        const btn = h(
          'button',
          { type: 'button', class: 'btn', 'data-channel': c.name },
          'Send test notification',
        );
        btn.addEventListener('click', () => {
          btn.disabled = true;
          replace(out, 'Sending…');
          ep.testChannel(c.name).then(
            (r) => {
              btn.disabled = false;
              replace(
                out,
                r.ok ? notice('ok', 'Delivered.') : notice('error', `Failed: ${r.error ?? 'unknown error'}`),
              );
            },
            (err: unknown) => {
              btn.disabled = false;
              replace(out, notice('error', errorMessage(err)));
            },
          );
        });
        return h(
          'tr',
          { 'data-channel': c.name },
          h('th', { scope: 'row' }, c.name),
          h('td', {}, c.kind),
          deps.canTest ? [h('td', {}, btn), h('td', {}, out)] : null,
        );
      }),
    );
    replace(host, t.wrap);
  } catch (err) {
    if (!signal.aborted)
      replace(
        host,
        failure(err, () => void loadChannels(host, deps)),
      );
  }
}
