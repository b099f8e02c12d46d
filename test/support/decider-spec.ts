import { expect } from '@jest/globals';
import {
  type Decider,
  DomainError,
  type DomainErrorCode,
  type DomainErrorKind,
  type DomainEvent,
  type EventRef,
  fold,
  type Recorded,
} from '../../libs/domain/kernel/index.js';
import { encodePosition } from '../../libs/event-store/position.js';

/** A made-up but well-formed log position for the n-th given event. */
export function refFor(n: number): EventRef {
  return {
    eventId: `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`,
    position: encodePosition(1n, BigInt(n)),
    occurredAt: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  };
}

/**
 * Decider tests read as given events / when a command / then events or a
 * refusal (STYLE.md §8). Refusals are asserted by stable code and kind, not
 * by message text.
 */
export function deciderSpec<Command, Event extends DomainEvent, State>(
  decider: Decider<Command, Event, State>,
) {
  return {
    given(...events: Event[]) {
      const recorded = events.map((event, i) => ({ ...event, ref: refFor(i + 1) }) as Recorded<Event>);
      const state = fold(decider, recorded);
      const decide = (command: Command) => decider.decide(command, state);
      return {
        state,
        when(command: Command) {
          return {
            then(expected: Event[]) {
              expect(decide(command)).toEqual(expected);
            },
            thenNothing() {
              expect(decide(command)).toEqual([]);
            },
            thenRefuses(code: DomainErrorCode, kind: DomainErrorKind, fields?: readonly string[]) {
              let error: unknown;
              try {
                decide(command);
              } catch (e) {
                error = e;
              }
              expect(error).toBeInstanceOf(DomainError);
              expect({ code: (error as DomainError).code, kind: (error as DomainError).kind }).toEqual({
                code,
                kind,
              });
              if (fields) expect((error as DomainError).fields.map((f) => f.field)).toEqual(fields);
            },
          };
        },
      };
    },
  };
}
