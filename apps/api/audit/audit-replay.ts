import { Inject, Injectable } from '@nestjs/common';
import {
  accessAt,
  accessChanges,
  type AccessQuery,
  explainAt,
  type Instant,
  userAccessAt,
  type ReplayOptions,
  StreamSnapshots,
} from '../../../libs/audit/index.js';
import { upcasters } from '../../../libs/domain/upcasting/upcaster-registry.js';
import { type EventStore } from '../../../libs/event-store/index.js';
import { EVENT_STORE } from '../injection-tokens.js';

/**
 * The audit replay of libs/audit with this process's snapshots: a question
 * about instant T starts each stream from the newest snapshot at or before T
 * (libs/audit/stream-fold.ts), so repeated questions about one org read only
 * what was appended since, or between the snapshot and T.
 */
@Injectable()
export class AuditReplay {
  readonly snapshots = new StreamSnapshots();

  constructor(@Inject(EVENT_STORE) readonly eventStore: EventStore) {}

  get options(): ReplayOptions {
    return { snapshots: this.snapshots };
  }

  access(query: AccessQuery) {
    return accessAt(this.eventStore, upcasters, query, this.options);
  }

  explain(query: AccessQuery & { userId: string }) {
    return explainAt(this.eventStore, upcasters, query, this.options);
  }

  changes(query: { orgId: string; chatId: string; from?: Instant; to?: Instant }) {
    return accessChanges(this.eventStore, upcasters, query, this.options);
  }

  userAccess(query: { orgId: string; userId: string; asOf?: Instant; limit: number; after: string | null }) {
    return userAccessAt(this.eventStore, upcasters, query, this.options);
  }
}
