/**
 * The view registry: every routed view of the dashboard, one line each. To add a view, write a module
 * exporting a ViewDef (see ../view.ts) and add it here; the shell's navigation and the router pick it up.
 */
import type { ViewDef } from '../view.js';
import { crawlsView } from './crawls.js';
import { overviewView } from './overview.js';
import { ringView } from './ring.js';
import { nodesView } from './nodes.js';
import { nodeView } from './node.js';
import { relaysView } from './relays.js';
import { alertsView } from './alerts.js';
import { adminView } from './admin.js';

export const VIEWS: readonly ViewDef[] = [
  overviewView,
  ringView,
  crawlsView,
  nodesView,
  nodeView,
  relaysView,
  alertsView,
  adminView,
];
