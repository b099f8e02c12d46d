import { EventStoreSchema1732406400000 } from './1732406400000-event-store-schema.js';

/** Every migration, oldest first. A new one is appended here; an applied one never changes. */
export const MIGRATIONS = [EventStoreSchema1732406400000];
