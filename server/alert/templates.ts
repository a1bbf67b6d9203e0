/**
 * Annotation templates, Prometheus style: `{{ $labels.NAME }}`, `{{ $value }}`, `{{ $detail }}` and
 * `{{ $externalUrl }}` (spaces inside the braces optional). Nothing else: no functions, no pipelines.
 * A label the alert does not have renders as ''. checkTemplate() validates at configuration time, so
 * render() never meets an unknown placeholder.
 */

const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const VALID = /^\$(?:labels\.[a-zA-Z_][a-zA-Z0-9_]*|value|detail|externalUrl)$/;

/** What a template may refer to. */
export interface TemplateData {
  labels: Readonly<Record<string, string>>;
  value: number | null;
  detail: string;
  externalUrl: string;
}

/** null when the template is valid, else why not. */
export function checkTemplate(template: string): string | null {
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (!VALID.test(m[1]!)) {
      return (
        `unknown placeholder {{ ${m[1]} }}: use {{ $labels.NAME }}, {{ $value }}, {{ $detail }} ` +
        'or {{ $externalUrl }}'
      );
    }
  }
  return null;
}

/** A number as people read it: integers as is, others with at most 2 decimals. */
export function formatValue(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return '';
  return Number.isInteger(value) ? String(value) : String(Math.round(value * 100) / 100);
}

export function render(template: string, data: TemplateData): string {
  return template.replace(PLACEHOLDER, (_all, expr: string) => {
    if (expr === '$value') return formatValue(data.value);
    if (expr === '$detail') return data.detail;
    if (expr === '$externalUrl') return data.externalUrl;
    if (expr.startsWith('$labels.')) return data.labels[expr.slice('$labels.'.length)] ?? '';
    return '';
  });
}
