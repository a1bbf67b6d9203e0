/**
 * What every chart of the dashboard shares: colours read from the theme's CSS variables (read at draw
 * time, so a theme switch restyles) and the tooltip of a line chart over a time axis.
 */
import type { TooltipItem } from 'chart.js';
import { dateTime } from '../format.js';
import type { Theme } from '../theme.js';

/** Colours of the current theme; each call reads the CSS variable again. */
export function chartColors(theme: Theme) {
  return {
    /** `--chart-n` (n from 1), the series palette. */
    series: (n: number) => theme.color(`--chart-${n}`) || '#888',
    muted: () => theme.color('--text-muted') || '#666',
    grid: () => theme.color('--grid') || '#ddd',
  };
}

/** Tooltip of a line chart whose x is epoch ms: the time as title, "series: value with unit" per line. */
export function timeTooltip(unit: (v: number) => string) {
  return {
    callbacks: {
      title: (items: TooltipItem<'line'>[]) => (items[0] ? dateTime(items[0].parsed.x) : ''),
      label: (item: TooltipItem<'line'>) => `${item.dataset.label ?? ''}: ${unit(item.parsed.y ?? 0)}`,
    },
  };
}
