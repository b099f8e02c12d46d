import { randomUUID } from 'node:crypto';
import { type NewEvent, type RecordedEvent, type SubscriptionMessage } from '../../libs/event-store/index.js';

/** A well-formed event with full metadata (DESIGN.md §6). */
export function newEvent(type: string, data: Record<string, unknown> = {}, orgId?: string): NewEvent {
  const eventId = randomUUID();
  return {
    type,
    data,
    metadata: {
      eventId,
      ...(orgId ? { orgId } : {}),
      actorId: randomUUID(),
      correlationId: randomUUID(),
      causationId: randomUUID(),
      occurredAt: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
}

export function newEvents(count: number, type = 'TestHappened'): NewEvent[] {
  return Array.from({ length: count }, (_, i) => newEvent(type, { i }));
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Takes messages from a subscription until `until` says stop, failing after `timeoutMs`. */
export async function takeUntil(
  iterator: AsyncIterator<SubscriptionMessage>,
  until: (received: SubscriptionMessage[]) => boolean,
  timeoutMs = 10_000,
): Promise<SubscriptionMessage[]> {
  const received: SubscriptionMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!until(received)) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`subscription timed out after ${received.length} messages`);
    let timer: NodeJS.Timeout | undefined;
    const next = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`subscription timed out after ${received.length} messages`)),
          remaining,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    if (next.done) break;
    received.push(next.value);
  }
  return received;
}

export function eventsOf(messages: SubscriptionMessage[]): RecordedEvent[] {
  return messages.flatMap((m) => (m.kind === 'event' ? [m.event] : []));
}
