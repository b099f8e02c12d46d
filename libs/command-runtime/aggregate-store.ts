import { randomUUID } from 'node:crypto';
import { type Decider, type DomainEvent, type Recorded } from '../domain/kernel/index.js';
import { type UpcasterRegistry } from '../domain/upcasting/upcaster-registry.js';
import {
  type EventStore,
  type ExpectedRevision,
  NO_STREAM,
  type NewEvent,
  type Position,
  type RecordedEvent,
  START,
} from '../event-store/index.js';
import { type CommandContext } from './command-context.js';

export interface LoadedAggregate<State> {
  readonly state: State;
  /** Revision of the stream's last event; NO_STREAM when it has none. */
  readonly expected: ExpectedRevision;
  /** Position of the stream's last event (START when none): the token of a command that changed nothing. */
  readonly position: Position;
}

/**
 * Loads aggregates from their streams and appends what their deciders
 * decide, wrapping each domain event in the envelope of DESIGN.md §6.
 */
export class AggregateStore {
  constructor(
    readonly eventStore: EventStore,
    private readonly upcasters: UpcasterRegistry,
    private readonly newId: () => string = randomUUID,
  ) {}

  async load<Event extends DomainEvent, State>(
    decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>,
    streamName: string,
  ): Promise<LoadedAggregate<State>> {
    let state = decider.initialState;
    let last: RecordedEvent | undefined;
    for await (const event of this.eventStore.readStream(streamName)) {
      state = decider.evolve(state, this.toDomainEvent<Event>(event));
      last = event;
    }
    return last
      ? { state, expected: last.revision, position: last.position }
      : { state, expected: NO_STREAM, position: START };
  }

  envelope(events: readonly DomainEvent[], context: CommandContext, orgId: string | undefined): NewEvent[] {
    const occurredAt = context.now.toISOString();
    return events.map((event) => ({
      type: event.type,
      data: event.data,
      metadata: {
        eventId: this.newId(),
        ...(orgId ? { orgId } : {}),
        actorId: context.actorId,
        correlationId: context.correlationId,
        causationId: context.causationId,
        occurredAt,
        schemaVersion: this.upcasters.currentVersion(event.type),
      },
    }));
  }

  /** An event of the log as its decider reads it: current shape, and where it sits. */
  toDomainEvent<Event extends DomainEvent>(event: RecordedEvent): Recorded<Event> {
    const data = this.upcasters.upcast({
      type: event.type,
      schemaVersion: event.metadata.schemaVersion,
      data: event.data,
    });
    return {
      type: event.type,
      data,
      ref: {
        eventId: event.metadata.eventId,
        position: event.position,
        occurredAt: event.metadata.occurredAt,
      },
    } as unknown as Recorded<Event>;
  }
}
