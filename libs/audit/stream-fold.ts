import { LRUCache } from 'lru-cache';
import { type Decider, type DomainEvent, PersistentMap, type Recorded } from '../domain/kernel/index.js';
import { type UpcasterRegistry } from '../domain/upcasting/upcaster-registry.js';
import {
  type EventRef,
  eventRefOf,
  type EventStore,
  type Position,
  type RecordedEvent,
} from '../event-store/index.js';
import { includes, type Instant } from './instant.js';

/** A decider's fold: all the replay needs of an aggregate. */
export type Fold<State> = Pick<Decider<unknown, never, State>, 'initialState'> & {
  evolve(state: State, event: Recorded<DomainEvent>): State;
};

/** An event that changed something, and who asked for it: what explain answers name. */
export interface Cause {
  readonly type: string;
  readonly event: EventRef;
  readonly actorId: string | null;
  /** The event's payload (its `previousRole`, say), as recorded. */
  readonly data: unknown;
  /**
   * The stream's state just before the event, kept only for `GroupDeleted`:
   * a deleted group's state forgets its members, and explain needs them to
   * say whom the deletion took access from. A reference, not a copy.
   */
  readonly before?: unknown;
}

/**
 * A stream folded up to some revision: the decider's state, plus what the
 * state does not keep and an audit needs (who caused each event, and the
 * last removal of each subject). Every collection is persistent, so a cut
 * may be kept as a snapshot and shared by any number of later folds.
 */
export interface StreamCut<State> {
  readonly state: State;
  /** Revision of the last event folded; -1 before the first. */
  readonly revision: number;
  /** Position of the last event folded; null before the first. */
  readonly position: Position | null;
  /** The latest `occurredAt` folded (ms), so a snapshot can tell whether it lies before a time. */
  readonly maxOccurredMs: number;
  /** Actor of every event folded, by event id. */
  readonly actors: PersistentMap<string, string | null>;
  /** Notable events by key (see {@link causeKeys}): removals, unshares, switches, archive, deletion. */
  readonly causes: PersistentMap<string, Cause>;
}

/** The keys under which an event is remembered as a cause, so explain can say what blocked a grant. */
export function causeKeys(event: RecordedEvent): string[] {
  const data = event.data as { userId?: string; subject?: { kind: string; id: string } };
  switch (event.type) {
    case 'OrgMemberRemoved':
    case 'GroupMemberRemoved':
    case 'WorkspaceMemberRemoved':
      return [`removed:${data.userId}`];
    // Org or workspace scope: each stream holds only its own.
    case 'MemberRoleChanged':
      return [`roleChanged:${data.userId}`];
    case 'ChatShared':
      return [`shared:${data.subject?.kind}:${data.subject?.id}`];
    case 'ChatUnshared':
      return [`unshared:${data.subject?.kind}:${data.subject?.id}`];
    case 'OrgSettingsChanged':
      return ['settings'];
    case 'WorkspaceArchived':
      return ['archived'];
    case 'ChatDeleted':
    case 'GroupDeleted':
      return ['deleted'];
    default:
      return [];
  }
}

/**
 * An event of the log as a decider reads it: upcast to its current shape,
 * with where it sits. The cast is the one the command runtime makes
 * (libs/command-runtime AggregateStore.toDomainEvent): the log holds the
 * payload a decider wrote, and its evolve ends every switch in assertNever.
 */
export function toDomainEvent(upcasters: UpcasterRegistry, event: RecordedEvent): Recorded<DomainEvent> {
  const data = upcasters.upcast({
    type: event.type,
    schemaVersion: event.metadata.schemaVersion,
    data: event.data,
  });
  return { type: event.type, data: data as object, ref: eventRefOf(event) };
}

export function emptyCut<State>(fold: Fold<State>): StreamCut<State> {
  return {
    state: fold.initialState,
    revision: -1,
    position: null,
    maxOccurredMs: Number.NEGATIVE_INFINITY,
    actors: PersistentMap(),
    causes: PersistentMap(),
  };
}

/** One event more. O(1) amortized: persistent collections only. */
export function step<State>(
  fold: Fold<State>,
  upcasters: UpcasterRegistry,
  cut: StreamCut<State>,
  event: RecordedEvent,
): StreamCut<State> {
  const cause: Cause = {
    type: event.type,
    event: eventRefOf(event),
    actorId: event.metadata.actorId,
    data: event.data,
    ...(event.type === 'GroupDeleted' ? { before: cut.state } : {}),
  };
  let causes = cut.causes;
  for (const key of causeKeys(event)) causes = causes.set(key, cause);
  return {
    state: fold.evolve(cut.state, toDomainEvent(upcasters, event)),
    revision: event.revision,
    position: event.position,
    maxOccurredMs: Math.max(cut.maxOccurredMs, Date.parse(event.metadata.occurredAt)),
    actors: cut.actors.set(event.metadata.eventId, event.metadata.actorId),
    causes,
  };
}

/** True when every event folded into `cut` lies at or before `instant`. */
function cutWithin(cut: StreamCut<unknown>, instant: Instant): boolean {
  if (cut.position === null) return true;
  return instant.kind === 'position' ? cut.position <= instant.position : cut.maxOccurredMs <= instant.ms;
}

export interface SnapshotOptions {
  /** Streams kept (LRU). */
  readonly maxStreams?: number;
  /** A snapshot is kept at least every this many revisions of a stream, and at its head. */
  readonly every?: number;
}

interface StreamSnapshotsEntry {
  readonly fold: object;
  readonly cuts: Array<StreamCut<unknown>>;
}

/**
 * Snapshots of folded streams at several revisions, for answers "as of" any
 * instant (DESIGN.md §9, BENCHMARKS.md B7): a question about instant T starts
 * from the newest snapshot at or before T and reads only the events between
 * it and T, at most `every` per stream, or none when T is past the stream's
 * head. Snapshots hold persistent states, so the ones of one stream share
 * almost all of their structure.
 */
export class StreamSnapshots {
  private readonly streams: LRUCache<string, StreamSnapshotsEntry>;
  readonly every: number;

  constructor(options: SnapshotOptions = {}) {
    this.streams = new LRUCache({ max: options.maxStreams ?? 5_000 });
    this.every = options.every ?? 256;
  }

  /** The newest snapshot of the stream that lies wholly at or before `instant`. */
  before<State>(fold: Fold<State>, streamName: string, instant: Instant): StreamCut<State> | undefined {
    const entry = this.streams.get(streamName);
    if (!entry || entry.fold !== fold) return undefined;
    for (let i = entry.cuts.length - 1; i >= 0; i--) {
      const cut = entry.cuts[i]!;
      if (cutWithin(cut, instant)) return cut as StreamCut<State>;
    }
    return undefined;
  }

  /** Keeps `cut` when it lies past every snapshot kept of the stream (snapshots stay in revision order). */
  keep<State>(fold: Fold<State>, streamName: string, cut: StreamCut<State>): void {
    if (cut.revision < 0) return;
    const entry = this.streams.get(streamName);
    if (!entry || entry.fold !== fold) {
      this.streams.set(streamName, { fold, cuts: [cut as StreamCut<unknown>] });
      return;
    }
    const last = entry.cuts.at(-1);
    if (!last || cut.revision > last.revision) entry.cuts.push(cut as StreamCut<unknown>);
  }

  /** The revision of the newest snapshot of a stream (-1 without one): when to keep the next. */
  lastRevision(fold: object, streamName: string): number {
    const entry = this.streams.peek(streamName);
    return entry && entry.fold === fold ? (entry.cuts.at(-1)?.revision ?? -1) : -1;
  }
}

/** What a replay reads from: the log, the upcasters, and optionally snapshots kept between questions. */
export interface ReplaySource {
  readonly eventStore: EventStore;
  readonly upcasters: UpcasterRegistry;
  readonly snapshots?: StreamSnapshots;
  /** Counts the events read from the log (tests and the benchmark report it). */
  readonly stats?: { eventsRead: number };
}

/**
 * One stream folded up to `instant`: from the newest snapshot at or before
 * it (or the start), reading the stream forwards and stopping at the first
 * event past the instant. Never reads another stream.
 */
export async function foldStream<State>(
  source: ReplaySource,
  fold: Fold<State>,
  streamName: string,
  instant: Instant,
): Promise<StreamCut<State>> {
  const { snapshots } = source;
  let cut = snapshots?.before(fold, streamName, instant) ?? emptyCut(fold);
  let lastKept = snapshots?.lastRevision(fold, streamName) ?? -1;
  let atHead = true;
  for await (const event of source.eventStore.readStream(streamName, { fromRevision: cut.revision + 1 })) {
    if (source.stats) source.stats.eventsRead++;
    if (!includes(instant, event)) {
      atHead = false;
      break;
    }
    cut = step(fold, source.upcasters, cut, event);
    if (snapshots && cut.revision - lastKept >= snapshots.every) {
      snapshots.keep(fold, streamName, cut);
      lastKept = Math.max(lastKept, cut.revision);
    }
  }
  if (atHead) snapshots?.keep(fold, streamName, cut);
  return cut;
}

/**
 * Every event of one stream in the interval (after, to], in revision order,
 * and the cut at `after` it starts from. For access changes.
 */
export async function streamInterval<State>(
  source: ReplaySource,
  fold: Fold<State>,
  streamName: string,
  after: Instant,
  to: Instant,
): Promise<{ start: StreamCut<State>; events: RecordedEvent[] }> {
  const start = await foldStream(source, fold, streamName, after);
  const events: RecordedEvent[] = [];
  for await (const event of source.eventStore.readStream(streamName, { fromRevision: start.revision + 1 })) {
    if (source.stats) source.stats.eventsRead++;
    if (!includes(to, event)) break;
    events.push(event);
  }
  return { start, events };
}
