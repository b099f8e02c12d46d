import { type EventRef } from '../../event-store/event-envelope.js';

/**
 * An aggregate as a pure decider (STYLE.md §1, after Emmett): no I/O, no
 * clock, no id generation. Time, ids and facts looked up elsewhere arrive on
 * the command; the command handler loads the stream, folds it with `evolve`,
 * calls `decide`, and appends what it returns with the expected revision.
 *
 * `decide` throws a DomainError to refuse; it returns an empty list when the
 * command changes nothing (the handler then appends nothing).
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  readonly initialState: State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Recorded<Event>): State;
}

/** An event as the domain sees it: its type name and its payload. */
export interface DomainEvent<Type extends string = string, Data extends object = object> {
  readonly type: Type;
  readonly data: Data;
}

/**
 * Where an event sits in the log. State keeps it beside every fact that
 * grants access, so that libs/authz can say which event established a right
 * (DESIGN.md §5: reasons name the event's id, position and time). One type,
 * the log's (libs/event-store/event-envelope.ts), so facts pass from state to
 * authz unchanged.
 */
export type { EventRef };

/** A domain event read back from the log. */
export type Recorded<Event extends DomainEvent> = Event & { readonly ref: EventRef };

/** Folds a stream's events into state, from the decider's initial state. */
export function fold<Event extends DomainEvent, State>(
  decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
  events: Iterable<Recorded<Event>>,
): State {
  let state = decider.initialState;
  for (const event of events) state = decider.evolve(state, event);
  return state;
}

/** Ends every exhaustive `switch`: adding a case to a union without handling it fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
