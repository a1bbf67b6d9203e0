/** `ringwatch agent`: a standalone node-agent (sidecar) for a VPN node that is not written in Node.js. */
import type { Command } from 'commander';
import { runSidecar, type SidecarOptions } from '../../node-agent/index.js';
import { int, onShutdown } from './options.js';

interface AgentFlags {
  stateFile?: string;
  stateCommand?: string;
  port: number;
  host: string;
  token?: string;
  logFile?: string;
  endpoint?: string;
  refreshMs: number;
}

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description(
      'serve the node status protocol for a non-Node VPN process (state from a JSON file or a command)',
    )
    .option('--state-file <file>', 'JSON state document, re-read when it changes')
    .option('--state-command <cmd>', 'command that prints the state document on stdout')
    .option('--port <port>', 'listening port (0 = any)', int, 0)
    .option('--host <addr>', 'listening address', '127.0.0.1')
    .option('--token <token>', 'bearer token for the log endpoint (or RINGWATCH_AGENT_TOKEN)')
    .option('--log-file <file>', 'log file whose newest lines the log endpoint serves')
    .option('--endpoint <url>', 'base URL others reach this agent at (default http://host:port)')
    .option('--refresh-ms <ms>', 'cache lifetime of a --state-command result', int, 2000)
    .action(async (flags: AgentFlags) => {
      if (!flags.stateFile === !flags.stateCommand) {
        process.stderr.write('ringwatch agent: give exactly one of --state-file or --state-command\n');
        process.exit(2);
      }
      const token = flags.token ?? process.env.RINGWATCH_AGENT_TOKEN;
      const options: SidecarOptions = {
        port: flags.port,
        host: flags.host,
        refreshMs: flags.refreshMs,
        ...(flags.stateFile ? { stateFile: flags.stateFile } : {}),
        ...(flags.stateCommand ? { stateCommand: flags.stateCommand } : {}),
        ...(token ? { token } : {}),
        ...(flags.logFile ? { logFile: flags.logFile } : {}),
        ...(flags.endpoint ? { endpoint: flags.endpoint } : {}),
      };
      try {
        const handle = await runSidecar(options);
        onShutdown(() => handle.close());
        process.stdout.write(
          JSON.stringify({ ready: true, endpoint: handle.endpoint, port: handle.port }) + '\n',
        );
      } catch (err) {
        process.stderr.write(`ringwatch agent: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exit(2);
      }
    });
}
