import { expect } from '@jest/globals';
import {
  type Decider,
  DomainError,
  type DomainErrorCode,
  type DomainErrorKind,
  type DomainEvent,
  fold,
  type Recorded,
} from '../../libs/domain/kernel/index.js';
import { eventRefFor } from '../../libs/event-store/testing/event-refs.js';

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
      const recorded = events.map((event, i) => ({ ...event, ref: eventRefFor(i + 1) }) as Recorded<Event>);
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
