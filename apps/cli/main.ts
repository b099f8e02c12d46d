#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError, loadConfig, readOperatorToken } from '../../libs/config/index.js';
import { createLogger, startRuntime } from '../../libs/runtime/index.js';
import { AuditCliError, type AuditIo, type AuditRuntime, auditReplay } from './audit.js';
import { auditVerify } from './audit-verify.js';
import {
  EXIT,
  OpsError,
  type OpsIo,
  type OpsRuntime,
  projectionsRebuild,
  projectionsRetry,
  projectionsSkip,
  projectionsStatus,
} from './projections.js';
import { usersCreate } from './users.js';

/**
 * `tenantry`, the operators' command (DESIGN.md §8). It reads the same
 * environment as the service, so with the same TENANTRY_DATA_DIR it sees the
 * running service's data. `--json` prints one JSON document on stdout and
 * nothing else; messages for people go to stderr. It never prompts.
 *
 * Exit codes: 0 done; 1 refused or failed (a message, or with --json
 * `{"error": {code, message}}`, says why); 2 bad usage or configuration;
 * 3 `projections status` printed, and some projection is `failed`.
 */
interface GlobalOptions {
  readonly json?: boolean;
}

const program = new Command()
  .name('tenantry')
  .description('Operate a Tenantry service: tokens, projections, audit.')
  .option('--json', 'machine-readable output: one JSON document on stdout')
  .showHelpAfterError()
  .exitOverride();

program
  .command('operator-token')
  .description('print the operator token the service uses (from TENANTRY_OPERATOR_TOKEN or the data dir)')
  .action(async (_options: unknown, command: Command) => {
    const { json } = command.optsWithGlobals<GlobalOptions>();
    const config = loadConfig();
    const found = await readOperatorToken(config);
    if (!found) {
      fail(
        json,
        'no-operator-token',
        `No operator token in ${config.dataDir} yet: start the service once (npm start), ` +
          'or set TENANTRY_OPERATOR_TOKEN.',
      );
      return;
    }
    if (json) {
      print({ token: found.token, source: found.source, file: found.file ?? null });
    } else {
      console.log(found.token);
      console.error(
        found.source === 'environment' ? '(from TENANTRY_OPERATOR_TOKEN)' : `(from ${found.file})`,
      );
    }
  });

const audit = program
  .command('audit')
  .description("replay an org's access history from the log, and verify the read models");

audit
  .command('replay')
  .description("replay one org's history from the event store and write its access state as JSON lines")
  .requiredOption('--org <id|slug>', 'the organization')
  .option('--as-of <time|position>', 'an ISO-8601 time or a log position (default: now)')
  .option('--out <file.jsonl>', 'write the lines to this file instead of stdout')
  .action(async (options: { org: string; asOf?: string; out?: string }, command: Command) => {
    await withAuditRuntime(command, (runtime, io) => auditReplay(runtime, options, io));
  });

audit
  .command('verify')
  .description('compare the live chat_access read model with a fresh replay; exit 1 on any difference')
  .option('--org <id|slug>', 'one organization')
  .option('--all', 'every organization')
  .action(async (options: { org?: string; all?: boolean }, command: Command) => {
    await withAuditRuntime(command, (runtime, io) => auditVerify(runtime, options, io));
  });

const projections = program
  .command('projections')
  .description('watch and repair the read models: status, rebuild, retry, skip');

projections
  .command('status')
  .description(
    'per projection: version, policy version, state, position, head, lag, last error, skips; exit 3 if any failed',
  )
  .action(async (_options: unknown, command: Command) => {
    await withOpsRuntime(command, (runtime, io) => projectionsStatus(runtime, io));
  });

projections
  .command('rebuild')
  .description(
    'build <name|all> again from the log beside the live tables, then switch atomically; resumes a killed rebuild',
  )
  .argument('<name>', 'a projection name, or all')
  .option('--org <id|slug>', "only this tenant's rows, from its streams")
  .option('--batch-size <events>', 'events read per page (default 1000)', positiveInteger)
  .action(async (name: string, options: { org?: string; batchSize?: number }, command: Command) => {
    const stop = new AbortController();
    const onSignal = () => stop.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      await withOpsRuntime(command, (runtime, io) =>
        projectionsRebuild(runtime, name, { ...options, signal: stop.signal }, io),
      );
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });

projections
  .command('retry')
  .description('a failed projection tries its failed event again')
  .argument('<name>', 'a projection name')
  .action(async (name: string, _options: unknown, command: Command) => {
    await withOpsRuntime(command, (runtime, io) => projectionsRetry(runtime, name, io));
  });

projections
  .command('skip')
  .description('skip exactly the event a projection failed at (refused unless it failed at that position)')
  .argument('<name>', 'a projection name')
  .requiredOption('--position <position>', 'the failed position, as status shows it')
  .requiredOption('--reason <text>', 'why skipping is right (recorded and shown in status)', nonEmpty)
  .option('--actor <who>', 'who decided (default: user@host)')
  .action(
    async (name: string, options: { position: string; reason: string; actor?: string }, command: Command) => {
      await withOpsRuntime(command, (runtime, io) => projectionsSkip(runtime, name, options, io));
    },
  );

program
  .command('users')
  .description('bootstrap users')
  .command('create')
  .description('register a user (as POST /v1/users does) and print a token')
  .requiredOption('--email <email>', 'the email (unique)')
  .requiredOption('--name <name>', 'the display name')
  .action(async (options: { email: string; name: string }, command: Command) => {
    await withOpsRuntime(command, (runtime, io) => usersCreate(runtime.eventStore, options, io));
  });

function positiveInteger(value: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new InvalidArgumentError('must be a positive integer');
  return Number(value);
}

function nonEmpty(value: string): string {
  if (!value.trim()) throw new InvalidArgumentError('must not be empty');
  return value;
}

/** Opens Postgres and the event store as the service does (attaching to its embedded Postgres), runs, closes. */
async function withOpsRuntime(
  command: Command,
  run: (runtime: OpsRuntime, io: OpsIo) => Promise<number>,
): Promise<void> {
  const { json } = command.optsWithGlobals<GlobalOptions>();
  const config = loadConfig();
  const logger = createLogger('warn', process.stderr);
  const runtime = await startRuntime(config, logger, { attachToRunning: true });
  try {
    const io: OpsIo = { stdout: process.stdout, stderr: process.stderr, json: json === true };
    process.exitCode = await run(
      {
        eventStore: runtime.eventStore,
        ownerPool: runtime.database.ownerPool,
        appPool: runtime.database.appPool,
        logger,
      },
      io,
    );
  } catch (error) {
    if (error instanceof OpsError || error instanceof AuditCliError) fail(json, error.code, error.message);
    else throw error;
  } finally {
    await runtime.close();
  }
}

/** Opens Postgres and the event store as the service does (attaching to its embedded Postgres), runs, closes. */
async function withAuditRuntime(
  command: Command,
  run: (runtime: AuditRuntime, io: AuditIo) => Promise<number>,
): Promise<void> {
  const { json } = command.optsWithGlobals<GlobalOptions>();
  const config = loadConfig();
  const runtime = await startRuntime(config, createLogger('warn', process.stderr), { attachToRunning: true });
  try {
    const io: AuditIo = { stdout: process.stdout, stderr: process.stderr, json: json === true };
    process.exitCode = await run({ eventStore: runtime.eventStore, appPool: runtime.database.appPool }, io);
  } catch (error) {
    if (!(error instanceof AuditCliError)) throw error;
    fail(json, error.code, error.message);
  } finally {
    await runtime.close();
  }
}

function print(document: unknown): void {
  console.log(JSON.stringify(document));
}

function fail(json: boolean | undefined, code: string, message: string): void {
  if (json) print({ error: { code, message } });
  else console.error(`tenantry: ${message}`);
  process.exitCode = 1;
}

try {
  await program.parseAsync();
} catch (error) {
  const { json } = program.opts<GlobalOptions>();
  if (error instanceof CommanderError) {
    // Commander printed the problem (or the help) to stderr already.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (json && error.exitCode !== 0) print({ error: { code: error.code, message: error.message } });
  } else if (error instanceof ConfigError) {
    fail(json, 'invalid-configuration', error.message);
    process.exitCode = EXIT.usage;
  } else fail(json, 'failed', error instanceof Error ? error.message : String(error));
}
