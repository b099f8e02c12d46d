import { type Position } from '../../../libs/event-store/index.js';

/**
 * What a write route returns: its answer and the log position of what it
 * appended (or of the state it found, when it changed nothing). The
 * interceptor turns it into the consistency token header `X-Consistency-Token`
 * and `position` in the body (DESIGN.md §7).
 */
export class CommandResponse<Body extends object = object> {
  constructor(
    readonly position: Position,
    readonly body: Body | undefined,
    readonly status: number = body === undefined ? 204 : 200,
    /** Fields shown once and never stored (plaintext tokens): idempotent replays answer them as null. */
    readonly secretFields: readonly (keyof Body & string)[] = [],
  ) {}

  static created<Body extends object>(
    position: Position,
    body: Body,
    secretFields: readonly (keyof Body & string)[] = [],
  ): CommandResponse<Body> {
    return new CommandResponse(position, body, 201, secretFields);
  }
}

export const CONSISTENCY_TOKEN_HEADER = 'X-Consistency-Token';
