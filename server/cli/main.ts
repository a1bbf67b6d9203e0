/**
 * `ringwatch` command line. Each command lives in its own module and registers itself here; this file
 * only wires them together.
 */
import { Command } from 'commander';
import { registerAgentCommand } from './agent-command.js';
import { registerCrawlCommand } from './crawl-command.js';
import { registerSimCommand } from './sim-command.js';
import { registerStartCommand } from './start-command.js';
import { registerTokenCommand } from './token-command.js';

const program = new Command('ringwatch')
  .description('Operations crawler and observability platform for structured P2P VPN rings')
  .version('0.1.0')
  .showHelpAfterError();

registerStartCommand(program);
registerSimCommand(program);
registerAgentCommand(program);
registerCrawlCommand(program);
registerTokenCommand(program);

await program.parseAsync(process.argv);
