#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError, loadConfig, readOperatorToken } from '../../libs/config/index.js';

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
