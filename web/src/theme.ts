/**
 * Light / dark: follows the OS (prefers-color-scheme) unless the user picked one; the choice is kept in
 * localStorage. The CSS does the styling through variables on <html data-theme>; canvases (ring, charts)
 * read the same variables through `color()` and redraw on `onChange`.
 */

export type ThemeChoice = 'system' | 'light' | 'dark';
export type Scheme = 'light' | 'dark';

export const THEME_KEY = 'ringwatch.theme';

/**
 * Contract: choice() is what the user picked (default 'system'); scheme() what is shown now. set()
 * persists the choice and applies it; onChange listeners run whenever the shown scheme or the choice
 * changes (OS switch included). color(name) reads a CSS custom property (e.g. '--health-ok') as shown now.
 */
export interface Theme {
  choice(): ThemeChoice;
  scheme(): Scheme;
  set(choice: ThemeChoice): void;
  /** Cycles system → light → dark → system. */
  cycle(): ThemeChoice;
  onChange(cb: (scheme: Scheme) => void): () => void;
  color: (name: string) => string;
}

export function createTheme(win: Window = window): Theme {
  const root = win.document.documentElement;
  const media = win.matchMedia('(prefers-color-scheme: dark)');
  const listeners = new Set<(s: Scheme) => void>();
  const read = (): ThemeChoice => {
    try {
      const v = win.localStorage.getItem(THEME_KEY);
      return v === 'light' || v === 'dark' ? v : 'system';
    } catch {
      return 'system';
    }
  };
  let choice = read();
  const scheme = (): Scheme => (choice === 'system' ? (media.matches ? 'dark' : 'light') : choice);
  const apply = () => {
    root.dataset.theme = scheme();
    root.dataset.themeChoice = choice;
    for (const cb of [...listeners]) cb(scheme());
  };
  media.addEventListener('change', () => {
    if (choice === 'system') apply();
  });
  apply();
  const set = (c: ThemeChoice) => {
    choice = c;
    try {
      if (c === 'system') win.localStorage.removeItem(THEME_KEY);
      else win.localStorage.setItem(THEME_KEY, c);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    apply();
  };
  return {
    choice: () => choice,
    scheme,
    set,
    cycle() {
      const next: ThemeChoice = choice === 'system' ? 'light' : choice === 'light' ? 'dark' : 'system';
      set(next);
      return next;
    },
    onChange(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    color: (name) => win.getComputedStyle(root).getPropertyValue(name).trim(),
  };
}
