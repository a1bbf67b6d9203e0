#!/usr/bin/env node
// Builds the dashboard: esbuild bundles web/src/main.ts (and the CSS it imports) into main.js and
// main.css, minified with source maps, and copies web/index.html next to them.
// Usage: node scripts/build-web.js [--outdir DIR] [--dev]   (default outdir web/dist)
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Build the dashboard into `outdir` (emptied first). Resolves with the files written and their sizes.
 * @param {{ outdir?: string, minify?: boolean, logLevel?: import('esbuild').LogLevel }} [options]
 * @returns {Promise<{ outdir: string, files: { path: string, bytes: number }[] }>}
 */
export async function buildWeb(options = {}) {
  const outdir = resolve(options.outdir ?? join(ROOT, 'web', 'dist'));
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await esbuild.build({
    entryPoints: { main: join(ROOT, 'web', 'src', 'main.ts') },
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: true,
    metafile: true,
    legalComments: 'linked',
    logLevel: options.logLevel ?? 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  copyFileSync(join(ROOT, 'web', 'index.html'), join(outdir, 'index.html'));
  const files = Object.entries(result.metafile.outputs).map(([path, o]) => ({ path, bytes: o.bytes }));
  return { outdir, files };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--outdir');
  const outdir = at >= 0 ? args[at + 1] : undefined;
  const started = Date.now();
  buildWeb({ ...(outdir ? { outdir } : {}), minify: !args.includes('--dev') }).then(
    (r) => {
      const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
      for (const f of r.files) if (!f.path.endsWith('.map')) console.log(`  ${f.path}  ${kib(f.bytes)}`);
      console.log(`dashboard built into ${r.outdir} in ${Date.now() - started} ms`);
    },
    (err) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
