/**
 * Scenarios: a JSON list of `{ atMs, fault }` steps, validated up front (every fault checked with the
 * fault schema) and then injected at `atMs` after schedule() on the engine's event queue.
 */
import { z } from 'zod';
import type { EngineCtx } from './context.js';
import { EV } from './context.js';
import { parseFault, ScenarioSchema } from './fault-schema.js';
import type { Faults } from './faults.js';
import type { ScenarioRecord, ScheduleResult } from './types.js';

/** Contract: schedule never throws; a rejected scenario schedules nothing; cancel stops steps not yet run. */
export interface Scenarios {
  schedule(json: unknown): ScheduleResult;
  cancel(id: string): boolean;
  list(): ScenarioRecord[];
  onStep(scenario: number, step: number): void;
}

export function createScenarios(ctx: EngineCtx, faults: Faults): Scenarios {
  const all: { rec: ScenarioRecord; steps: unknown[] }[] = [];
  const copy = (r: ScenarioRecord): ScenarioRecord => ({
    ...r,
    injected: [...r.injected],
    errors: [...r.errors],
  });
  return {
    schedule(json) {
      const parsed = ScenarioSchema.safeParse(json);
      if (!parsed.success) {
        return { ok: false, error: { code: 'invalid_scenario', message: z.prettifyError(parsed.error) } };
      }
      for (let s = 0; s < parsed.data.length; s++) {
        const f = parseFault(parsed.data[s]!.fault);
        if (!f.ok)
          return { ok: false, error: { code: 'invalid_scenario', message: `step ${s}: ${f.message}` } };
      }
      const now = ctx.now();
      const num = all.length;
      const rec: ScenarioRecord = {
        id: `s${num + 1}`,
        steps: parsed.data.length,
        startedAt: now,
        injected: [],
        errors: [],
        cancelled: false,
      };
      all.push({ rec, steps: parsed.data.map((s) => s.fault) });
      parsed.data.forEach((s, j) => ctx.queue.push(now + s.atMs, EV.SCENARIO, num, j, 0, 0));
      return { ok: true, scheduled: rec.steps, scenario: copy(rec) };
    },
    cancel(id) {
      const e = all.find((s) => s.rec.id === id);
      if (!e || e.rec.cancelled) return false;
      e.rec.cancelled = true;
      return true;
    },
    list: () => all.map((s) => copy(s.rec)),
    onStep(num, step) {
      const e = all[num];
      if (!e || e.rec.cancelled) return;
      const r = faults.inject(e.steps[step]);
      if (r.ok) e.rec.injected.push(r.fault.id);
      else e.rec.errors.push({ step, error: r.error });
    },
  };
}
