import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type EventStore } from '../../libs/event-store/index.js';
import { EventStoreDbEventStore } from '../../libs/event-store/eventstoredb/eventstoredb-event-store.js';
import { EventStoreDbTestDouble } from '../support/esdb-test-double/index.js';
import { type E2eApp, expectProblem, OPERATOR_TOKEN, startE2eApp } from './support/e2e-app.js';

/**
 * With EVENTSTORE_URL, EventStoreDB out of reach is a 503 with Retry-After,
 * as Postgres out of reach is: nothing failed on our side, and the client
 * may retry (never a 500). The command side talks to EventStoreDB through
 * the real client over a real socket; the double is stopped under it.
 */
let app: E2eApp;
let double: EventStoreDbTestDouble;
let esdb: EventStore;

beforeAll(async () => {
  double = await EventStoreDbTestDouble.start();
  esdb = EventStoreDbEventStore.fromConnectionString(double.connectionString);
  app = await startE2eApp({ wrapEventStore: () => esdb });
});
afterAll(async () => {
  await app?.close();
  await esdb?.close();
});

// The first answer's consistency token is an EventStoreDB position, which the projector
// (on the Postgres store) never reaches: the second request must not carry it.
const registration = (n: number) => ({
  token: OPERATOR_TOKEN,
  consistent: false,
  body: { email: `unavailable-${n}-${Date.now()}@example.com`, displayName: `Unavailable ${n}` },
});

describe('EventStoreDB out of reach', () => {
  it('answers a command 503 EVENT_STORE.UNAVAILABLE with Retry-After, where it answered 201 before', async () => {
    expect((await app.request('POST', '/v1/users', registration(1))).status).toBe(201);

    await double.stop();
    const answer = await app.request('POST', '/v1/users', registration(2));

    expectProblem(answer, 503);
    expect(answer.body).toMatchObject({ status: 503, code: 'EVENT_STORE.UNAVAILABLE' });
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(app.logs.join('\n')).toContain('the event store is unavailable: answered 503');
  });
});
