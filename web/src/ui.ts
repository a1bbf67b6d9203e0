/**
 * The shared loading / empty / error states and small widgets, so every view shows them the same way
 * (and announces them to screen readers).
 */
import { describeError } from './api.js';
import { h } from './dom.js';

/** A polite busy indicator. */
export function loading(what = 'Loading…'): HTMLElement {
  return h(
    'div',
    { class: 'state state-loading', role: 'status', 'aria-live': 'polite', 'aria-busy': 'true' },
    h('span', { class: 'spinner', 'aria-hidden': 'true' }),
    what,
  );
}

/** Nothing to show yet, with what to do about it. */
export function empty(title: string, hint?: string): HTMLElement {
  return h(
    'div',
    { class: 'state state-empty', role: 'status' },
    h('strong', {}, title),
    hint ? h('p', {}, hint) : null,
  );
}

/** An error with an optional retry button. */
export function failure(err: unknown, retry?: () => void): HTMLElement {
  return h(
    'div',
    { class: 'state state-error', role: 'alert' },
    h('strong', {}, 'Something went wrong'),
    h('p', {}, describeError(err)),
    retry ? h('button', { type: 'button', class: 'btn', onclick: () => retry() }, 'Try again') : null,
  );
}

/** A labelled figure: "Nodes reachable 29 / 30". */
export function stat(
  label: string,
  value: string,
  opts: { id?: string; hint?: string; tone?: string } = {},
): HTMLElement {
  return h(
    'div',
    { class: `stat${opts.tone ? ` tone-${opts.tone}` : ''}`, ...(opts.id ? { id: opts.id } : {}) },
    h('span', { class: 'stat-label' }, label),
    h('span', { class: 'stat-value' }, value),
    opts.hint ? h('span', { class: 'stat-hint' }, opts.hint) : null,
  );
}

/** A determinate progress bar (value/max) with a text label. */
export function progressBar(label: string, value: number, max: number): HTMLElement {
  const bar = h('progress', { value: Math.min(value, max), max: Math.max(max, 1), 'aria-label': label });
  return h('div', { class: 'progress' }, bar, h('span', { class: 'progress-label' }, label));
}
