import {
  accessAt,
  accessChanges,
  type AccessQuery,
  type AuditPage,
  explainAt,
  type Instant,
  userAccessAt,
  type ReplayOptions,
  StreamSnapshots,
} from '../../audit/index.js';
import { upcasters } from '../../domain/upcasting/upcaster-registry.js';
import { type EventStore } from '../../event-store/index.js';

/**
 * The audit replay of libs/audit with this process's snapshots: a question
 * about instant T starts each stream from the newest snapshot at or before T
 * (libs/audit/stream-fold.ts), so repeated questions about one org read only
 * what was appended since, or between the snapshot and T.
 */
export class AuditReplay {
  readonly snapshots = new StreamSnapshots();

  constructor(readonly eventStore: EventStore) {}

  get options(): ReplayOptions {
    return { snapshots: this.snapshots };
  }

  access(query: AccessQuery & { page?: AuditPage }) {
    return accessAt(this.eventStore, upcasters, query, this.options);
  }

  explain(query: AccessQuery & { userId: string }) {
    return explainAt(this.eventStore, upcasters, query, this.options);
  }

  changes(query: { orgId: string; chatId: string; from?: Instant; to?: Instant; page?: AuditPage }) {
    return accessChanges(this.eventStore, upcasters, query, this.options);
  }

  userAccess(query: { orgId: string; userId: string; asOf?: Instant; limit: number; after: string | null }) {
    return userAccessAt(this.eventStore, upcasters, query, this.options);
  }
}
