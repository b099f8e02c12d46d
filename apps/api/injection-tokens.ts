/** Injection tokens of what the app runs on, built before Nest starts (libs/runtime) and handed in. */

/** The process's EventStore (DESIGN.md §2): libs/runtime createEventStore. */
export const EVENT_STORE = Symbol('EventStore');
/** The process's Database (libs/persistence). */
export const DATABASE = Symbol('Database');
/** The operator token (DESIGN.md §4). */
export const OPERATOR_TOKEN = Symbol('OperatorToken');
