/**
 * Silences, as Alertmanager has them: a list of label matchers, all of which must match an alert's
 * labels for the silence to mute it, between startsAt and endsAt. A matcher compares one label (a
 * missing label is '') for equality (`isEqual` true, the default) or inequality, or — `isRegex` —
 * against a regular expression anchored at both ends (`^(?:value)$`).
 */
import { z } from 'zod';

export const MatcherSchema = z.strictObject({
  name: z
    .string()
    .max(128)
    .regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'not a label name'),
  value: z.string().max(1024),
  isRegex: z.boolean().default(false),
  isEqual: z.boolean().default(true),
});
export type Matcher = z.output<typeof MatcherSchema>;

/** What creating a silence takes (createdBy comes from the caller's principal). */
export const SilenceInputSchema = z
  .strictObject({
    matchers: z
      .array(MatcherSchema)
      .min(1)
      .max(32)
      .superRefine((ms, ctx) => {
        let valid = true;
        ms.forEach((m, i) => {
          const why = regexError(m);
          if (why) ctx.addIssue({ code: 'custom', path: [i, 'value'], message: why });
          valid &&= why === null;
        });
        // A silence whose every matcher also matches the empty string would mute every alert.
        if (valid && ms.every((m) => matches(m, ''))) {
          ctx.addIssue({ code: 'custom', message: 'at least one matcher must not match the empty label' });
        }
      }),
    startsAt: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER).optional(),
    endsAt: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    comment: z.string().max(4096).default(''),
  })
  .refine((s) => s.startsAt === undefined || s.endsAt > s.startsAt, {
    message: 'endsAt must be after startsAt',
    path: ['endsAt'],
  });
export type SilenceInput = z.input<typeof SilenceInputSchema>;

export const SILENCE_STATES = ['pending', 'active', 'expired'] as const;
export type SilenceState = (typeof SILENCE_STATES)[number];

export interface Silence {
  id: number;
  matchers: Matcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
  /** When it was expired early (DELETE), else null. */
  expiredAt: number | null;
  /** Derived from the time of the answer. */
  state: SilenceState;
}

function regexError(m: Matcher): string | null {
  if (!m.isRegex) return null;
  try {
    new RegExp(`^(?:${m.value})$`);
    return null;
  } catch (err) {
    return `invalid regular expression: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function matches(m: Matcher, value: string): boolean {
  const hit = m.isRegex ? new RegExp(`^(?:${m.value})$`).test(value) : value === m.value;
  return m.isEqual ? hit : !hit;
}

/** true when every matcher matches the labels. */
export function silenceMatches(matchers: readonly Matcher[], labels: Readonly<Record<string, string>>) {
  return matchers.every((m) => matches(m, labels[m.name] ?? ''));
}

export function silenceState(s: Pick<Silence, 'startsAt' | 'endsAt' | 'expiredAt'>, now: number) {
  if (s.expiredAt !== null || s.endsAt <= now) return 'expired' as const;
  return s.startsAt > now ? ('pending' as const) : ('active' as const);
}
