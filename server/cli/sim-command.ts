/** `ringwatch sim`: run a simulated ring and print one JSON ready line. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ZodError } from 'zod';
import { startSimulator, type SimulatorOptions } from '../sim/run.js';
import { int, num, onShutdown } from './options.js';

interface SimFlags {
  nodes: number;
  port: number;
  host: string;
  endpoints?: 'ports' | 'paths';
  basePort: number;
  seed: number;
  latencyMs?: number;
  latencyMatrix?: string;
  answerDelay?: boolean;
  answerDelayMs?: number;
  stabilizeMs: number;
  keepaliveMs: number;
  nat: number;
  relaySelection: 'latency' | 'age';
  shortcuts?: number;
  churn: number;
  bootstrap: 'join' | 'converged';
  scenario?: string;
  logToken: string;
}

export function registerSimCommand(program: Command): void {
  program
    .command('sim')
    .description(
      'start a simulated ring of node-agents on loopback and print {"ready":true,...} when it is up',
    )
    .option('--nodes <n>', 'number of nodes', int, 200)
    .option(
      '--port <port>',
      "control API port (and, with --endpoints paths, the nodes' port); 0 = any",
      int,
      0,
    )
    .option('--host <addr>', 'loopback address to listen on', '127.0.0.1')
    .option(
      '--endpoints <mode>',
      'ports (one port per node) or paths (shared port, /n/INDEX); default by size',
    )
    .option('--base-port <port>', 'ports mode: node i listens on base+i (0 = ephemeral)', int, 0)
    .option('--seed <n>', 'random seed (IDs, latencies, churn)', int, 1)
    .option('--latency-ms <ms>', 'constant RTT between any two nodes instead of the RTT matrix', num)
    .option(
      '--latency-matrix <file>',
      'N×N RTT matrix in µs (default: ../shared/data/latency/rtt_matrix.txt)',
    )
    .option('--answer-delay', "answer status requests after the node's RTT from the crawler (a WAN crawl)")
    .option('--answer-delay-ms <ms>', 'answer every request after a fixed delay', num)
    .option('--stabilize-ms <ms>', 'stabilisation interval per node', int, 1000)
    .option('--keepalive-ms <ms>', 'keep-alive ping period per connection', int, 15000)
    .option('--nat <fraction>', "fraction of NAT'd nodes (reach each other through relays)", num, 0.2)
    .option('--relay-selection <how>', 'latency or age', 'latency')
    .option('--shortcuts <k>', 'shortcuts per node (default ≈ log2(N)/2)', int)
    .option('--churn <rate>', 'restarts per node per hour', num, 0)
    .option('--bootstrap <how>', 'join (through the protocol) or converged (true ring at t=0)', 'join')
    .option('--scenario <file>', 'JSON list of { atMs, fault } to inject over time')
    .option('--log-token <token>', "bearer token for every node's log endpoint", 'ringwatch-sim-token')
    .action(async (flags: SimFlags) => {
      const options: SimulatorOptions = {
        nodes: flags.nodes,
        port: flags.port,
        host: flags.host,
        basePort: flags.basePort,
        seed: flags.seed,
        stabilizeMs: flags.stabilizeMs,
        keepAliveMs: flags.keepaliveMs,
        nat: flags.nat,
        relaySelection: flags.relaySelection,
        churn: flags.churn,
        bootstrap: flags.bootstrap,
        logToken: flags.logToken,
        answerDelay: flags.answerDelayMs ?? (flags.answerDelay ? 'rtt' : 'none'),
        ...(flags.endpoints ? { endpoints: flags.endpoints } : {}),
        ...(flags.latencyMs !== undefined ? { latencyMs: flags.latencyMs } : {}),
        ...(flags.latencyMatrix ? { latencyMatrix: flags.latencyMatrix } : {}),
        ...(flags.shortcuts !== undefined ? { shortcuts: flags.shortcuts } : {}),
      };
      try {
        if (flags.scenario) options.scenario = JSON.parse(readFileSync(flags.scenario, 'utf8')) as unknown;
        const sim = await startSimulator(options);
        onShutdown(() => sim.close());
        process.stdout.write(
          JSON.stringify({
            ready: true,
            seeds: sim.seeds,
            control: sim.control,
            nodes: sim.ring.size,
            logToken: sim.logToken,
          }) + '\n',
        );
      } catch (err) {
        const message =
          err instanceof ZodError
            ? err.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')
            : err instanceof Error
              ? err.message
              : String(err);
        process.stderr.write(`ringwatch sim: ${message}\n`);
        process.exit(2);
      }
    });
}
