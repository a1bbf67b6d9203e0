/** Types of scripts/build-web.js (a plain ESM script so `npm run build:web` needs no loader). */
export interface BuildWebOptions {
  /** Default web/dist; emptied first. */
  outdir?: string;
  /** Default true. */
  minify?: boolean;
  logLevel?: 'verbose' | 'debug' | 'info' | 'warning' | 'error' | 'silent';
}

/** Bundle web/src/main.ts (+ CSS) into outdir with source maps and copy web/index.html there. */
export function buildWeb(
  options?: BuildWebOptions,
): Promise<{ outdir: string; files: { path: string; bytes: number }[] }>;
