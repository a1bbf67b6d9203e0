/** The one error the configuration loader throws, listing every problem it found. */

/** Where a value came from; later sources win: default < file < env < flag. Closed. */
export type ConfigSource = 'file' | 'env' | 'flag' | 'default';

/** config_file: the file given could not be read or parsed; config_invalid: a value is wrong. Closed. */
export type ConfigErrorCode = 'config_invalid' | 'config_file';

export interface ConfigIssue {
  /** Dotted key (`crawl.concurrency`); `config` for the configuration file itself. */
  key: string;
  source: ConfigSource;
  /** The exact origin: `RINGWATCH_CRAWL_CONCURRENCY`, `--port`, `ringwatch.yaml:12`, `default`. */
  origin: string;
  /** What was wrong, e.g. `expected a whole number ≥ 1, got "abc"` (secret values never appear). */
  message: string;
}

/** One line per issue: `config error: <key> (from <origin>): <message>`. */
export function formatIssue(issue: ConfigIssue): string {
  return `config error: ${issue.key} (from ${issue.origin}): ${issue.message}`;
}

/** Contract: `issues` is never empty; `message` lists every issue, one formatIssue line each. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly issues: readonly ConfigIssue[];

  constructor(code: ConfigErrorCode, issues: readonly ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.code = code;
    this.issues = issues;
  }
}
