#!/usr/bin/env node
// Entry point for `npx ringwatch`: registers the TypeScript loader (tsx) so the CLI runs straight from
// source, with no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../server/cli/main.ts');
