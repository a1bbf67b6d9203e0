/**
 * A tiny element builder, so views build DOM without innerHTML (no HTML injection, CSP-friendly: no
 * inline styles or handlers in markup; listeners are attached from script).
 */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | null | undefined | EventListener>;

/**
 * h('button', { class: 'x', 'aria-label': 'Close', onclick: fn }, 'Close'): attributes set with
 * setAttribute (booleans: present or not; null/undefined/false: absent), `on*` functions become
 * listeners, children appended (strings as text nodes).
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else if (value === true) el.setAttribute(name, '');
    else if (value !== null && value !== undefined && value !== false) el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

/** Append children (flattened; null/false skipped). */
export function append(el: Element, children: (Child | Child[])[]): void {
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replace all children of `el`. */
export function replace(el: Element, ...children: (Child | Child[])[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A visually hidden text for screen readers. */
export const srOnly = (text: string) => h('span', { class: 'sr-only' }, text);

/** Run `fn` at most once per `ms`, with the latest arguments (trailing call guaranteed). */
export function debounce<A extends unknown[]>(
  fn: (...a: A) => void,
  ms: number,
): ((...a: A) => void) & {
  cancel(): void;
} {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const d = (...a: A) => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...a);
    }, ms);
  };
  d.cancel = () => {
    if (timer) clearTimeout(timer);
    timer = null;
  };
  return d;
}
