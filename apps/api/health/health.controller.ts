import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { InjectPinoLogger, type PinoLogger } from 'nestjs-pino';
import { type EventStore } from '../../../libs/event-store/index.js';
import { type Database } from '../../../libs/persistence/index.js';
import { projectionsWithoutApplier } from '../../../libs/projection-runtime/index.js';
import { EVENT_STORE } from '../injection-tokens.js';
import { DATABASE } from '../injection-tokens.js';
import { READ_SIDE, type ReadSide } from '../read-side/read-side.js';
import { Public } from '../auth/auth.decorators.js';
import { type HttpResponse } from '../http/http-exchange.js';

/** A check that has not answered in this time counts as down: a probe must answer quickly. */
export const READY_CHECK_TIMEOUT_MS = 2_000;

type CheckStatus = 'up' | 'down';

export interface ReadyBody {
  readonly status: 'ok' | 'unavailable';
  readonly checks: {
    readonly eventStore: CheckStatus;
    readonly postgres: CheckStatus;
    readonly projections: CheckStatus;
  };
}

/**
 * Liveness and readiness probes (DESIGN.md §10). /health says the process
 * answers; /ready says it can serve: the event store and Postgres both
 * reachable, and every projection the API reads live (§10): installed, caught
 * up with the log once since its runner started, not failed, and applied by
 * a runner now (some process holds its applier lock). A failed
 * projection would answer from a model stopped at some event; one catching
 * up (after a start, or far behind) would answer from the past. The state is
 * the checkpoint row's, so it holds whichever process runs the projector.
 * The reasons of a failure go to the log, not to the anonymous caller.
 */
@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(EVENT_STORE) private readonly eventStore: Pick<EventStore, 'ping'>,
    @Inject(DATABASE) private readonly database: Pick<Database, 'ping'>,
    @Inject(READ_SIDE) private readonly readSide: ReadSide,
    @InjectPinoLogger(HealthController.name) private readonly logger: PinoLogger,
  ) {}

  @Get('health')
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  async ready(@Res({ passthrough: true }) response: HttpResponse): Promise<ReadyBody> {
    const [eventStore, postgres, projections] = await Promise.all([
      this.check('eventStore', () => this.eventStore.ping()),
      this.check('postgres', () => this.database.ping()),
      this.check('projections', () => this.projectionsServing()),
    ]);
    const ok = eventStore === 'up' && postgres === 'up' && projections === 'up';
    response.status(ok ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ok' : 'unavailable', checks: { eventStore, postgres, projections } };
  }

  private async projectionsServing(): Promise<void> {
    const { rows } = await this.readSide.appPool.query<{ name: string; state: string }>(
      'SELECT name, state FROM projection.checkpoints WHERE name = ANY($1)',
      [this.readSide.projectionNames],
    );
    const failed = rows.filter((row) => row.state === 'failed').map((row) => row.name);
    if (failed.length > 0) throw new Error(`failed projections: ${failed.join(', ')}`);
    const live = new Set(rows.filter((row) => row.state === 'live').map((row) => row.name));
    const behind = this.readSide.projectionNames.filter((name) => !live.has(name));
    if (behind.length > 0) throw new Error(`projections not live yet: ${behind.join(', ')}`);
    // A row says live until a runner says otherwise: after Postgres restarts, or the projector
    // process dies, no runner applies it until one takes its lock again.
    const idle = await projectionsWithoutApplier(this.readSide.appPool, this.readSide.projectionNames);
    if (idle.length > 0) throw new Error(`projections nobody applies: ${idle.join(', ')}`);
  }

  private async check(name: string, probe: () => Promise<void>): Promise<CheckStatus> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no answer within ${READY_CHECK_TIMEOUT_MS} ms`)),
        READY_CHECK_TIMEOUT_MS,
      );
    });
    try {
      await Promise.race([probe(), timeout]);
      return 'up';
    } catch (error) {
      this.logger.warn({ err: error, check: name }, 'readiness check failed');
      return 'down';
    } finally {
      clearTimeout(timer);
    }
  }
}
