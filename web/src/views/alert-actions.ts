/**
 * What operators do to an alert, as modal dialogs: acknowledge it (with a comment), or silence it
 * (matchers prefilled from its labels, a duration, a comment). Also an alert's event history, loaded
 * into a disclosure when it is opened.
 */
import { h, replace } from '../dom.js';
import { dateTime, duration } from '../format.js';
import { empty, failure, loading } from '../ui.js';
import type { AlertView, Endpoints } from './endpoints.js';
import { errorMessage, field, notice, openDialog, select, table } from './widgets.js';

const DURATIONS: readonly (readonly [string, string])[] = [
  [String(3_600_000), '1 hour'],
  [String(2 * 3_600_000), '2 hours'],
  [String(4 * 3_600_000), '4 hours'],
  [String(12 * 3_600_000), '12 hours'],
  [String(86_400_000), '1 day'],
  [String(3 * 86_400_000), '3 days'],
  [String(7 * 86_400_000), '7 days'],
];

/** Matcher operators as Alertmanager writes them. */
const OPS: readonly (readonly [string, string])[] = [
  ['=', '= equals'],
  ['!=', '!= differs'],
  ['=~', '=~ matches regex'],
  ['!~', '!~ does not match regex'],
];

const EVENT_TEXT: Record<string, string> = {
  pending: 'Became pending',
  firing: 'Started firing',
  resolved: 'Resolved',
  notified: 'Notification sent',
  reminded: 'Reminder sent',
  resolved_notified: 'Resolved notification sent',
  silenced: 'Silenced',
  unsilenced: 'Silence ended',
  inhibited: 'Inhibited',
  uninhibited: 'No longer inhibited',
  acked: 'Acknowledged',
};

/** The button row of a dialog form: Cancel (closes) and the form's submit button. */
function dialogActions(close: () => void, submit: HTMLElement): HTMLElement {
  return h(
    'div',
    { class: 'dialog-actions' },
    h('button', { type: 'button', class: 'btn', onclick: close }, 'Cancel'),
    submit,
  );
}

/** Acknowledge a firing alert; `done` runs after the server accepted it. */
export function openAckDialog(ep: Endpoints, a: AlertView, done: () => void): void {
  openDialog(
    `Acknowledge ${a.rule}`,
    (body, close) => {
      const comment = h('textarea', { id: 'ack-comment', rows: 3, maxlength: 4096 });
      const msg = h('div', { 'aria-live': 'polite' });
      const submit = h(
        'button',
        { type: 'submit', class: 'btn btn-primary', id: 'ack-submit' },
        'Acknowledge',
      );
      const form = h(
        'form',
        { class: 'dialog-form' },
        h('p', {}, a.annotations.summary ?? a.detail),
        field('Comment', comment, 'Who is on it, what was done (optional)'),
        msg,
        dialogActions(close, submit),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        submit.disabled = true;
        ep.ack(a.fingerprint, comment.value.trim()).then(
          () => {
            close();
            done();
          },
          (err: unknown) => {
            submit.disabled = false;
            replace(msg, notice('error', errorMessage(err, { conflict: 'This alert is no longer firing.' })));
          },
        );
      });
      replace(body, form);
    },
    { id: 'ack-dialog' },
  );
}

/** Silence alerts like `a`: one matcher row per label (all included, equality), a duration, a comment. */
export function openSilenceDialog(ep: Endpoints, a: AlertView, now: () => number, done: () => void): void {
  openDialog(
    `Silence ${a.rule}`,
    (body, close) => {
      const rows = Object.entries(a.labels).map(([name, value], i) => {
        const on = h('input', {
          type: 'checkbox',
          id: `sm-on-${i}`,
          checked: true,
          'aria-label': `Match label ${name}`,
        });
        const op = select(`sm-op-${i}`, OPS, '=', { 'aria-label': `Operator for ${name}` });
        const val = h('input', { type: 'text', id: `sm-val-${i}`, value, 'aria-label': `Value of ${name}` });
        const tr = h(
          'tr',
          { 'data-label': name },
          h('td', {}, on),
          h('th', { scope: 'row', class: 'mono' }, name),
          h('td', {}, op),
          h('td', {}, val),
        );
        return { name, on, op, val, tr };
      });
      const matchers = table(
        {
          id: 'silence-matchers',
          caption: 'Matchers: a silence mutes the alerts whose labels match all the checked ones',
          columns: [{ label: 'Use' }, { label: 'Label' }, { label: 'Operator' }, { label: 'Value' }],
        },
        rows.map((r) => r.tr),
      );
      const dur = select('silence-duration', DURATIONS, String(2 * 3_600_000));
      const comment = h('textarea', { id: 'silence-comment', rows: 2, maxlength: 4096 });
      const msg = h('div', { 'aria-live': 'polite' });
      const submit = h(
        'button',
        { type: 'submit', class: 'btn btn-primary', id: 'silence-submit' },
        'Create silence',
      );
      const form = h(
        'form',
        { class: 'dialog-form' },
        h(
          'p',
          { class: 'muted' },
          'Alerts matching every checked label are muted (still shown, not notified).',
        ),
        matchers.wrap,
        field('Duration', dur),
        field('Comment', comment, 'Why (maintenance, known issue…)'),
        msg,
        dialogActions(close, submit),
      );
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const chosen = rows
          .filter((r) => r.on.checked)
          .map((r) => ({
            name: r.name,
            value: r.val.value,
            isRegex: r.op.value.endsWith('~'),
            isEqual: r.op.value.startsWith('='),
          }));
        if (chosen.length === 0) {
          replace(msg, notice('error', 'Check at least one label to match.'));
          return;
        }
        submit.disabled = true;
        ep.createSilence({
          matchers: chosen,
          endsAt: now() + Number(dur.value),
          comment: comment.value.trim(),
        }).then(
          () => {
            close();
            done();
          },
          (err: unknown) => {
            submit.disabled = false;
            replace(msg, notice('error', errorMessage(err)));
          },
        );
      });
      replace(body, form);
    },
    { id: 'silence-dialog' },
  );
}

/** A disclosure that loads the alert's event history the first time it is opened. */
export function historyDisclosure(ep: Endpoints, a: AlertView, signal: AbortSignal): HTMLDetailsElement {
  const box = h('div', {});
  const d = h('details', { class: 'alert-history' }, h('summary', {}, 'History'), box);
  let loaded = false;
  const load = async () => {
    replace(box, loading('Loading history…'));
    try {
      const { events } = await ep.alert(a.fingerprint, signal);
      if (signal.aborted) return;
      if (events.length === 0) {
        replace(box, empty('No events recorded'));
        return;
      }
      replace(
        box,
        table(
          {
            caption: `Events of alert ${a.fingerprint}, newest first`,
            columns: [{ label: 'When' }, { label: 'What' }, { label: 'Detail' }],
          },
          events.map((ev) =>
            h(
              'tr',
              { 'data-event': ev.type },
              h('td', {}, dateTime(ev.at)),
              h('td', {}, EVENT_TEXT[ev.type] ?? ev.type),
              h('td', { class: 'wrap-cell' }, ev.detail),
            ),
          ),
        ).wrap,
      );
    } catch (err) {
      loaded = false;
      if (!signal.aborted)
        replace(
          box,
          failure(err, () => void load()),
        );
    }
  };
  d.addEventListener('toggle', () => {
    if (d.open && !loaded) {
      loaded = true;
      void load();
    }
  });
  return d;
}

/** "for 3 min" / "2024-05-01 13:04:05 (12 s ago)" pieces of an alert's timing. */
export function alertTiming(a: AlertView, now: number): string {
  if (a.state === 'resolved' && a.endsAt !== null)
    return `resolved ${dateTime(a.endsAt)} after ${duration(a.endsAt - (a.startsAt ?? a.activeAt))}`;
  const since = a.startsAt ?? a.activeAt;
  return `${a.state === 'pending' ? 'pending' : 'firing'} since ${dateTime(since)} (${duration(now - since)})`;
}
