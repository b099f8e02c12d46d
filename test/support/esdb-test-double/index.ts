export { EventStoreDbTestDouble, type EventStoreDbTestDoubleOptions } from './esdb-test-double.js';
export { InMemoryEventLog, type StoredEvent } from './in-memory-log.js';
