/**
 * Small DOM builders shared by the Nodes, Node, Relays, Alerts and Admin views: health badges, tables,
 * titled panels, inline notices, labelled form fields, two-step confirm buttons, modal dialogs, copy
 * buttons and Blob download links. Pure DOM (no innerHTML, no inline styles), keyboard reachable.
 */
import '../styles/views2.css';
import { describeError, isApiError, type ClientErrorCode } from '../api.js';
import { h, replace } from '../dom.js';
import { bytes } from '../format.js';
import type { NodeHealth } from '../types.js';
import { HEALTH_TEXT } from './ring-panels.js';

type Child = Node | string | number | null | undefined | false;

/** A node health as a badge: shape swatch (not colour alone) and words. */
export function healthBadge(health: NodeHealth, label?: string): HTMLElement {
  return h(
    'span',
    { class: `hbadge hbadge-${health}`, 'data-health': health },
    h('span', { class: `swatch swatch-${health}`, 'aria-hidden': 'true' }),
    label ?? HEALTH_TEXT[health],
  );
}

/** Bytes per second: "1.5 KiB/s". */
export const rate = (v: number | null | undefined) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : `${bytes(v)}/s`;

export interface Column {
  label: string;
  /** Right-aligned numbers. */
  num?: boolean;
  /** Only for screen readers (e.g. an actions column). */
  hidden?: boolean;
}

/** A table in a scrollable frame with a (screen-reader) caption; rows are built by the caller. */
export function table(
  opts: { id?: string; caption: string; columns: Column[]; class?: string },
  rows: HTMLTableRowElement[],
): { wrap: HTMLElement; table: HTMLTableElement; body: HTMLTableSectionElement } {
  const body = h('tbody', {}, rows);
  const t = h(
    'table',
    { class: `table${opts.class ? ` ${opts.class}` : ''}`, ...(opts.id ? { id: opts.id } : {}) },
    h('caption', { class: 'sr-only' }, opts.caption),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        opts.columns.map((c) =>
          h(
            'th',
            { scope: 'col', class: c.num ? 'num' : null },
            c.hidden ? h('span', { class: 'sr-only' }, c.label) : c.label,
          ),
        ),
      ),
    ),
    body,
  );
  return { wrap: h('div', { class: 'table-wrap' }, t), table: t, body };
}

/** A titled panel section (h2 labels it). */
export function panel(id: string, title: string, ...children: (Child | Child[])[]): HTMLElement {
  return h(
    'section',
    { class: 'panel', id, 'aria-labelledby': `${id}-title` },
    h('h2', { class: 'panel-title', id: `${id}-title` }, title),
    ...children,
  );
}

/** An inline message: ok / info (polite status) or error (alert). */
export function notice(kind: 'ok' | 'info' | 'error', ...text: (Child | Child[])[]): HTMLElement {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, ...text);
}

/** An error for an action, with better words for the codes the caller names. */
export function errorMessage(err: unknown, words: Partial<Record<ClientErrorCode, string>> = {}): string {
  for (const [code, text] of Object.entries(words)) if (isApiError(err, code as ClientErrorCode)) return text;
  const details = isApiError(err, 'bad_request')
    ? (err.details as { message?: string }[] | undefined)
    : undefined;
  const first = Array.isArray(details) ? details.find((d) => typeof d?.message === 'string') : undefined;
  return first ? `${describeError(err)}: ${first.message}` : describeError(err);
}

/** A label above its control, with an optional hint tied by aria-describedby. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  const id = control.id;
  if (hint) control.setAttribute('aria-describedby', `${id}-hint`);
  return h(
    'div',
    { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('span', { class: 'field-hint', id: `${id}-hint` }, hint) : null,
  );
}

/** A <select> of values with their labels. */
export function select(
  id: string,
  options: readonly (readonly [string, string])[],
  value: string,
  attrs: Record<string, string> = {},
): HTMLSelectElement {
  return h(
    'select',
    { id, ...attrs },
    options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)),
  );
}

/**
 * A button that asks again before acting: the first press turns it into "Confirm …" for 5 s (no
 * window.confirm); the second runs `act`. Escape or leaving the button cancels.
 */
export function confirmButton(
  label: string,
  confirmLabel: string,
  act: () => void,
  attrs: Record<string, string> = {},
): HTMLButtonElement {
  const btn = h('button', { type: 'button', class: 'btn btn-danger', ...attrs }, label);
  let armed = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const disarm = () => {
    armed = false;
    if (timer) clearTimeout(timer);
    timer = null;
    btn.textContent = label;
    btn.classList.remove('armed');
  };
  btn.addEventListener('click', () => {
    if (!armed) {
      armed = true;
      btn.textContent = confirmLabel;
      btn.classList.add('armed');
      timer = setTimeout(disarm, 5000);
      return;
    }
    disarm();
    act();
  });
  btn.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') disarm();
  });
  btn.addEventListener('blur', () => {
    if (armed) setTimeout(() => document.activeElement !== btn && disarm(), 0);
  });
  return btn;
}

/**
 * A modal <dialog> (focus moves in, Escape closes, focus returns to the opener). `build` fills it and
 * gets `close`. The dialog removes itself when closed.
 */
export function openDialog(
  title: string,
  build: (body: HTMLElement, close: () => void) => void,
  opts: { id?: string } = {},
): HTMLDialogElement {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const titleId = `${opts.id ?? 'dialog'}-title`;
  const body = h('div', { class: 'dialog-body' });
  const dlg = h(
    'dialog',
    { class: 'dialog', 'aria-labelledby': titleId, ...(opts.id ? { id: opts.id } : {}) },
    h('h2', { id: titleId }, title),
    body,
  );
  const close = () => dlg.close();
  dlg.addEventListener('close', () => {
    dlg.remove();
    opener?.focus();
  });
  build(body, close);
  document.body.append(dlg);
  dlg.showModal();
  return dlg;
}

/** A button that copies `text` to the clipboard and says so. */
export function copyButton(text: string, label = 'Copy', attrs: Record<string, string> = {}): HTMLElement {
  const status = h('span', { class: 'copy-status', role: 'status', 'aria-live': 'polite' });
  const btn = h('button', { type: 'button', class: 'btn', ...attrs }, label);
  btn.addEventListener('click', () => {
    const done = (ok: boolean) =>
      replace(status, ok ? 'Copied.' : 'Copy failed: select the text and copy it by hand.');
    if (navigator.clipboard?.writeText)
      navigator.clipboard.writeText(text).then(
        () => done(true),
        () => done(false),
      );
    else done(false);
  });
  return h('span', { class: 'copy' }, btn, status);
}

/**
 * A download link for text made here (a Blob URL; the previous URL of the same link is revoked when it
 * is made again). `revoke()` frees it when the view goes.
 */
export function downloadLink(
  label: string,
  attrs: Record<string, string> = {},
): { el: HTMLAnchorElement; set(name: string, mime: string, text: string): void; revoke(): void } {
  const el = h('a', { class: 'btn', ...attrs }, label);
  let url: string | null = null;
  const revoke = () => {
    if (url) URL.revokeObjectURL(url);
    url = null;
  };
  return {
    el,
    set(name, mime, text) {
      revoke();
      url = URL.createObjectURL(new Blob([text], { type: mime }));
      el.href = url;
      el.download = name;
    },
    revoke,
  };
}

/** Tabs or segmented links: `[value, label]` → links to `hrefOf(value)`, the current one marked. */
export function segLinks(
  label: string,
  items: readonly (readonly [string, Child | Child[]])[],
  current: string,
  hrefOf: (v: string) => string,
  idOf: (v: string) => string,
): HTMLElement {
  return h(
    'div',
    { class: 'segmented', role: 'group', 'aria-label': label },
    items.map(([v, text]) =>
      h(
        'a',
        { class: 'seg', href: hrefOf(v), id: idOf(v), 'aria-current': v === current ? 'true' : null },
        text,
      ),
    ),
  );
}
