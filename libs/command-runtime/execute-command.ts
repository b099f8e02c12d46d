import { setTimeout as sleep } from 'node:timers/promises';
import { type Decider, type DomainEvent, refuse } from '../domain/kernel/index.js';
import { type Position, WrongExpectedVersion } from '../event-store/index.js';
import { type AggregateStore } from './aggregate-store.js';
import { type CommandContext } from './command-context.js';

export interface CommandOutcome<Event extends DomainEvent, State> {
  readonly events: readonly Event[];
  /** State after the events: what the command's response describes. */
  readonly state: State;
  /** Consistency token: the last appended event, or the stream's last event when nothing changed. */
  readonly position: Position;
}

export interface ExecuteCommand<Command, Event extends DomainEvent, State> {
  readonly decider: Decider<Command, Event, State>;
  readonly streamName: string;
  /** The command, built against the state just loaded (facts it needs may depend on it). */
  readonly command: Command | ((state: State) => Command | Promise<Command>);
  readonly context: CommandContext;
  readonly orgId: string | undefined;
  /** Loads and decisions before a conflict is given up as 409. */
  readonly maxAttempts?: number;
}

/** The stable code of a 409 for a stream that kept changing under the command. */
export const CONCURRENT_MODIFICATION = 'COMMAND.CONCURRENT_MODIFICATION';

/** Attempts before a stream that keeps changing is answered 409. */
export const DEFAULT_MAX_ATTEMPTS = 8;
/** The retry delay's bounds: the n-th retry waits a random time up to min(MAX, BASE × 2^(n-1)) ms. */
const BACKOFF_BASE_MS = 5;
const BACKOFF_MAX_MS = 200;

/**
 * The whole of a command handler's job (STYLE.md §4): load the stream, fold
 * it, decide, append with the revision it was decided on.
 *
 * Commands on one stream run one after another in this process
 * (AggregateStore.streamLocks), so they never conflict with each other; a
 * conflict comes from another process that appended in between. The
 * decision may then no longer hold, so it is taken again on the new state,
 * after a random wait (full jitter, growing) so that competing processes
 * spread out, a bounded number of times, and then answered as a 409. A
 * retry reads only the events appended since the last load (the store's
 * state cache).
 *
 * The command function must not run a command on the same stream: it would
 * wait for itself.
 */
export async function executeCommand<Command, Event extends DomainEvent, State>(
  store: AggregateStore,
  request: ExecuteCommand<Command, Event, State>,
): Promise<CommandOutcome<Event, State>> {
  return store.streamLocks.run(request.streamName, () => decideAndAppend(store, request));
}

async function decideAndAppend<Command, Event extends DomainEvent, State>(
  store: AggregateStore,
  request: ExecuteCommand<Command, Event, State>,
): Promise<CommandOutcome<Event, State>> {
  const maxAttempts = request.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  for (let attempt = 1; ; attempt++) {
    const loaded = await store.load(request.decider, request.streamName);
    const command =
      typeof request.command === 'function'
        ? await (request.command as (state: State) => Command | Promise<Command>)(loaded.state)
        : request.command;
    const events = request.decider.decide(command, loaded.state);
    if (events.length === 0) return { events, state: loaded.state, position: loaded.position };
    const envelopes = store.envelope(events, request.context, request.orgId);
    try {
      const { position } = await store.eventStore.append(request.streamName, envelopes, loaded.expected);
      // The response's state: earlier events of the batch are given the batch's
      // position, since only the last one's comes back from the append.
      const state = events.reduce(
        (s, event, i) =>
          request.decider.evolve(s, {
            ...event,
            ref: {
              eventId: envelopes[i]!.metadata.eventId,
              position,
              occurredAt: envelopes[i]!.metadata.occurredAt,
            },
          }),
        loaded.state,
      );
      return { events, state, position };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion)) throw error;
      if (attempt >= maxAttempts) {
        throw refuse.conflict(CONCURRENT_MODIFICATION, `${request.streamName} kept changing; try again`);
      }
      await sleep(retryDelayMs(attempt));
    }
  }
}

/**
 * How long to wait before retry number `attempt` (1, 2, …): full jitter, a
 * uniformly random time up to a cap that doubles per attempt (5, 10, 20 …
 * 200 ms). Random, so that processes that collided once spread out instead
 * of colliding again in step; capped, so that a command never waits long.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return random() * Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
}
