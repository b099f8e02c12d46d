#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadConfig, readOperatorToken } from '../../libs/config/index.js';
import { createLogger } from '../api/logging.js';
import { startRuntime } from '../api/runtime.js';
import { AuditCliError, type AuditIo, type AuditRuntime, auditReplay, auditVerify } from './audit.js';

/**
 * `tenantry`, the operators' command (DESIGN.md §8). It reads the same
 * environment as the service, so with the same TENANTRY_DATA_DIR it sees the
 * running service's data. `--json` prints one JSON document on stdout and
 * nothing else; messages for people go to stderr.
 */
interface GlobalOptions {
  readonly json?: boolean;
}

const program = new Command()
  .name('tenantry')
  .description('Operate a Tenantry service: tokens, projections, audit.')
  .option('--json', 'machine-readable output: one JSON document on stdout')
  .showHelpAfterError();

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
  if (error instanceof ConfigError) fail(json, 'invalid-configuration', error.message);
  else fail(json, 'failed', error instanceof Error ? error.message : String(error));
}
