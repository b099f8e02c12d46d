import { type EventRef } from '../event-envelope.js';
import { encodePosition } from '../position.js';

/**
 * Test support (tests only; not built): the one factory of made-up
 * {@link EventRef}s. The n-th event of made-up log `log` gets a UUID, a
 * well-formed position that sorts by (log, n), and a time n seconds after
 * 2026-01-01. Fixtures that fold events of several streams into one state
 * give each its own `log`, so their refs never collide.
 */
export function eventRefFor(n: number, log = 0): EventRef {
  return {
    eventId: `00000000-0000-4000-${(0x8000 + log).toString(16)}-${n.toString(16).padStart(12, '0')}`,
    position: encodePosition(BigInt(log) + 1n, BigInt(n)),
    occurredAt: new Date(Date.UTC(2026, 0, 1) + n * 1000).toISOString(),
  };
}
