/**
 * `ringwatch token create|list|revoke` and `ringwatch user add|passwd|list`: manage API tokens and operator
 * accounts straight in the database file (works while the server runs: SQLite WAL). Secrets go to stdout
 * only where asked for (`token create` prints just the token); everything else goes to stderr, and
 * passwords are read from stdin or RINGWATCH_USER_PASSWORD, never from the command line.
 */
import { InvalidArgumentError } from 'commander';
import type { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { createAudit } from '../auth/audit.js';
import type { Audit } from '../auth/audit.js';
import { createTokenStore } from '../auth/tokens.js';
import type { TokenInfo, TokenStore } from '../auth/tokens.js';
import { ROLES } from '../auth/types.js';
import type { Role } from '../auth/types.js';
import { createUserStore } from '../auth/users.js';
import type { User, UserStore } from '../auth/users.js';
import { ApiError } from '../http/errors.js';
import { openDatabase } from '../store/index.js';
import { int } from './options.js';

const DEFAULT_DB = 'ringwatch.db';
const PASSWORD_ENV = 'RINGWATCH_USER_PASSWORD';
const DAY_MS = 24 * 60 * 60_000;

interface Tools {
  users: UserStore;
  tokens: TokenStore;
  audit: Audit;
  now: () => number;
}

function role(value: string): Role {
  if (!(ROLES as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${ROLES.join(', ')}`);
  return value as Role;
}

function positiveInt(value: string): number {
  const n = int(value);
  if (n <= 0) throw new InvalidArgumentError('expected a whole number above 0');
  return n;
}

const iso = (ms: number | null) => (ms === null ? '-' : new Date(ms).toISOString());

/** Open the database, run `fn` with the stores, close; errors become a message and an exit code. */
async function withTools(command: string, file: string, fn: (t: Tools) => Promise<void>): Promise<void> {
  const clock = systemClock();
  let db;
  try {
    db = await openDatabase(file, { clock });
  } catch (err) {
    process.stderr.write(`ringwatch ${command}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
    return;
  }
  try {
    await fn({
      users: createUserStore({ db, clock }),
      tokens: createTokenStore({ db, clock }),
      audit: createAudit(db, clock),
      now: () => clock.now(),
    });
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    process.stderr.write(`ringwatch ${command}: ${err.message}\n`);
    process.exitCode = err.code === 'bad_request' ? 2 : 1;
  } finally {
    await db.close();
  }
}

async function readPassword(fromStdin: boolean | undefined): Promise<string> {
  if (fromStdin) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks)
      .toString('utf8')
      .replace(/\r?\n$/, '');
  }
  const env = process.env[PASSWORD_ENV];
  if (env) return env;
  throw new ApiError(
    'bad_request',
    `give the password on stdin with --password-stdin, or in ${PASSWORD_ENV}`,
  );
}

function tokenLine(t: TokenInfo): string {
  const state = t.revokedAt !== null ? 'revoked' : 'active';
  return [
    t.id,
    t.prefix + '…',
    t.role,
    t.name,
    t.userId ?? '-',
    iso(t.createdAt),
    iso(t.expiresAt),
    iso(t.lastUsedAt),
    state,
  ].join('\t');
}

function userLine(u: User): string {
  return [u.id, u.username, u.role, iso(u.createdAt), u.disabled ? 'disabled' : 'enabled'].join('\t');
}

async function allPages<T>(
  list: (p: { limit: number; afterId: number }) => Promise<{ items: T[]; nextAfter: number | null }>,
): Promise<T[]> {
  const out: T[] = [];
  for (let after: number | null = 0; after !== null;) {
    const page = await list({ limit: 1000, afterId: after });
    out.push(...page.items);
    after = page.nextAfter;
  }
  return out;
}

/** Registers `token …` and `user …` (one entry point, so main.ts needs a single line). */
export function registerTokenCommand(program: Command): void {
  registerTokenCommands(program);
  registerUserCommands(program);
}

function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('manage API tokens (stored hashed; shown once)');

  token
    .command('create')
    .description('create an API token; prints only the token on stdout, details on stderr')
    .requiredOption('--role <role>', `${ROLES.join(', ')}`, role)
    .option('--name <name>', 'what the token is for', 'cli')
    .option('--db <file>', 'SQLite database file', DEFAULT_DB)
    .option('--expires-days <days>', 'expire after this many days (default: never)', positiveInt)
    .action(async (flags: { role: Role; name: string; db: string; expiresDays?: number }) => {
      await withTools('token create', flags.db, async ({ tokens, audit, now }) => {
        const expiresAt = flags.expiresDays !== undefined ? now() + flags.expiresDays * DAY_MS : null;
        const { info, secret } = await tokens.create({ name: flags.name, role: flags.role, expiresAt });
        await audit.record({
          actor: 'cli',
          action: 'token.create',
          target: `token:${info.name}`,
          detail: { id: info.id, prefix: info.prefix, role: info.role, expiresAt: info.expiresAt },
        });
        process.stderr.write(
          `created token ${info.id} "${info.name}" (${info.role}, expires ${iso(info.expiresAt)}); ` +
            'it is shown only now\n',
        );
        process.stdout.write(secret + '\n');
      });
    });

  token
    .command('list')
    .description('list API tokens (tab-separated, or --json)')
    .option('--db <file>', 'SQLite database file', DEFAULT_DB)
    .option('--json', 'print a JSON array')
    .action(async (flags: { db: string; json?: boolean }) => {
      await withTools('token list', flags.db, async ({ tokens }) => {
        const items = await allPages((p) => tokens.list(p));
        if (flags.json) process.stdout.write(JSON.stringify(items) + '\n');
        else {
          process.stdout.write('id\tprefix\trole\tname\tuser\tcreated\texpires\tlast used\tstate\n');
          for (const t of items) process.stdout.write(tokenLine(t) + '\n');
        }
      });
    });

  token
    .command('revoke')
    .description('revoke an API token by id (exit 1 when no such live token)')
    .argument('<id>', 'token id (see token list)', positiveInt)
    .option('--db <file>', 'SQLite database file', DEFAULT_DB)
    .action(async (id: number, flags: { db: string }) => {
      await withTools('token revoke', flags.db, async ({ tokens, audit }) => {
        const info = await tokens.get(id);
        if (!info || !(await tokens.revoke(id))) {
          process.stderr.write(`ringwatch token revoke: no live token ${id}\n`);
          process.exitCode = 1;
          return;
        }
        await audit.record({
          actor: 'cli',
          action: 'token.revoke',
          target: `token:${info.name}`,
          detail: { id, prefix: info.prefix },
        });
        process.stderr.write(`revoked token ${id} "${info.name}"\n`);
      });
    });
}

function registerUserCommands(program: Command): void {
  const user = program.command('user').description('manage operator accounts');

  user
    .command('add')
    .description(`add a user (password from --password-stdin or ${PASSWORD_ENV})`)
    .argument('<username>')
    .requiredOption('--role <role>', `${ROLES.join(', ')}`, role)
    .option('--password-stdin', 'read the password from stdin')
    .option('--db <file>', 'SQLite database file', DEFAULT_DB)
    .action(async (username: string, flags: { role: Role; passwordStdin?: boolean; db: string }) => {
      await withTools('user add', flags.db, async ({ users, audit }) => {
        const password = await readPassword(flags.passwordStdin);
        const u = await users.create({ username, password, role: flags.role });
        await audit.record({
          actor: 'cli',
          action: 'user.create',
          target: `user:${u.username}`,
          detail: { id: u.id, role: u.role },
        });
        process.stderr.write(`added user ${u.id} ${u.username} (${u.role})\n`);
      });
    });

  user
    .command('passwd')
    .description(`set a user's password (from --password-stdin or ${PASSWORD_ENV}); ends its sessions`)
    .argument('<username>')
    .option('--password-stdin', 'read the password from stdin')
    .option('--db <file>', 'SQLite database file', DEFAULT_DB)
    .action(async (username: string, flags: { passwordStdin?: boolean; db: string }) => {
      await withTools('user passwd', flags.db, async ({ users, audit }) => {
        const password = await readPassword(flags.passwordStdin);
        const u = await users.update((await users.getByName(username)).id, { password });
        await audit.record({
          actor: 'cli',
          action: 'user.update',
          target: `user:${u.username}`,
          detail: { id: u.id, passwordChanged: true },
        });
        process.stderr.write(`changed the password of ${u.username}\n`);
      });
    });

  user
    .command('list')
    .description('list users (tab-separated, or --json)')
    .option('--db <file>', 'SQLite database file', DEFAULT_DB)
    .option('--json', 'print a JSON array')
    .action(async (flags: { db: string; json?: boolean }) => {
      await withTools('user list', flags.db, async ({ users }) => {
        const items = await allPages((p) => users.list(p));
        if (flags.json) process.stdout.write(JSON.stringify(items) + '\n');
        else {
          process.stdout.write('id\tusername\trole\tcreated\tstate\n');
          for (const u of items) process.stdout.write(userLine(u) + '\n');
        }
      });
    });
}
