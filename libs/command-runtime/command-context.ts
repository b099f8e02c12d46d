/**
 * Who issued a command and how it relates to others: the metadata every
 * event it emits carries (DESIGN.md §6). Built once per request at the edge
 * (HTTP, CLI) and passed down; the clock is read there too, so deciders stay
 * free of time.
 */
export interface CommandContext {
  /** A user id, or OPERATOR_ACTOR_ID (libs/domain/user) for the operator token. */
  readonly actorId: string;
  /** Shared by everything one request (or one saga) caused. */
  readonly correlationId: string;
  /** The id of the command that caused the events: the request's id. */
  readonly causationId: string;
  readonly now: Date;
}
