import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import {
  ErrorBodySchema,
  LogsResponseSchema,
  NodeStateSchema,
  StatusSchema,
} from '../../node-agent/index.js';
import { statusFromState } from '../../node-agent/index.js';

const SCHEMAS = {
  status: StatusSchema,
  logs: LogsResponseSchema,
  error: ErrorBodySchema,
  state: NodeStateSchema,
} as const;

void test('every example in docs/protocol.md is valid against schema.ts', async () => {
  const doc = await readFile(new URL('../../docs/protocol.md', import.meta.url), 'utf8');
  const examples = [...doc.matchAll(/<!-- example: (\w+) -->\s*```json\n([\s\S]*?)```/g)];
  assert.deepEqual(examples.map((m) => m[1]).sort(), Object.keys(SCHEMAS).sort());
  for (const [, kind, json] of examples) {
    const schema = SCHEMAS[kind as keyof typeof SCHEMAS];
    const parsed = schema.safeParse(JSON.parse(json!));
    assert.ok(parsed.success, `${kind}: ${parsed.error?.message}`);
    if (kind === 'state') {
      const status = statusFromState(NodeStateSchema.parse(JSON.parse(json!)), Date.now(), 'http://h:1', 'x');
      assert.ok(StatusSchema.safeParse(status).success);
    }
  }
});
