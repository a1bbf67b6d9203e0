/**
 * Numbers with their units, the same way everywhere: counts with thousands separators, percentages,
 * durations, ages, bytes, dates. Pure (the "now" of ages is passed in).
 */

const nf = new Intl.NumberFormat('en-US');

/** 12345 → "12,345"; null → "—". */
export function count(n: number | null | undefined): string {
  return n === null || n === undefined || !Number.isFinite(n) ? '—' : nf.format(Math.round(n));
}

/** 0.9876 → "98.8 %" (ratio in 0..1); 1 → "100 %"; null → "—". */
export function percent(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  const p = ratio * 100;
  if (p === 100 || p === 0) return `${p} %`;
  return `${p.toFixed(digits)} %`;
}

/** Milliseconds as a short duration: "850 ms", "1.2 s", "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h". */
export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const total = Math.round(s);
  const d = Math.floor(total / 86400);
  const hr = Math.floor((total % 86400) / 3600);
  const min = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  if (d > 0) return hr > 0 ? `${d} d ${hr} h` : `${d} d`;
  if (hr > 0) return min > 0 ? `${hr} h ${min} min` : `${hr} h`;
  return sec > 0 ? `${min} min ${sec} s` : `${min} min`;
}

/** How long ago `t` was at `now`: "just now", "12 s ago", "3 min ago"… */
export function age(t: number | null | undefined, now: number): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return '—';
  const d = now - t;
  if (d < 1000) return 'just now';
  return `${duration(Math.floor(d / 1000) * 1000)} ago`;
}

/** 1536 → "1.5 KiB". */
export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)} B` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

/** Epoch ms → "2024-05-01 13:04:05" in local time (sortable, unambiguous). */
export function dateTime(t: number | null | undefined): string {
  if (t === null || t === undefined || !Number.isFinite(t)) return '—';
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`
  );
}

/** Epoch ms → a short axis label for a range: "13:04" within a day, "05-01 13:04" beyond. */
export function axisTime(t: number, rangeMs: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  if (rangeMs <= 3_600_000) return `${hm}:${p(d.getSeconds())}`;
  return rangeMs <= 86_400_000 ? hm : `${p(d.getMonth() + 1)}-${p(d.getDate())} ${hm}`;
}

/** A node ID shortened for display: the first 12 hex digits and an ellipsis; endpoints unchanged. */
export function shortId(key: string): string {
  return /^[0-9a-f]{40}$/i.test(key) ? `${key.slice(0, 12)}…` : key;
}
