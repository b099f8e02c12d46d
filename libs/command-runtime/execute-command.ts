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

/**
 * The whole of a command handler's job (STYLE.md §4): load the stream, fold
 * it, decide, append with the revision it was decided on. When someone else
 * appended in between, the decision may no longer hold, so it is taken again
 * on the new state, a bounded number of times, and then answered as a 409.
 */
export async function executeCommand<Command, Event extends DomainEvent, State>(
  store: AggregateStore,
  request: ExecuteCommand<Command, Event, State>,
): Promise<CommandOutcome<Event, State>> {
  const maxAttempts = request.maxAttempts ?? 5;
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
      if (!(error instanceof WrongExpectedVersion) || attempt >= maxAttempts) {
        if (error instanceof WrongExpectedVersion) {
          throw refuse.conflict(CONCURRENT_MODIFICATION, `${request.streamName} kept changing; try again`);
        }
        throw error;
      }
    }
  }
}
