/**
 * Events are immutable (DESIGN.md §6): when an event's shape changes, new
 * events are written with a higher `schemaVersion`, and an upcaster lifts
 * each older shape one version up when the event is read. Old events stay
 * readable forever; nothing in the log is rewritten.
 *
 * Each upcaster turns the payload of version n into the payload of n + 1, so
 * reading a version-1 event under version 3 runs two of them in order.
 */
export type Upcaster = (data: unknown) => unknown;

export interface VersionedPayload {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

export class UpcasterRegistry {
  private readonly upcasters = new Map<string, Map<number, Upcaster>>();

  /** Registers the step from `fromVersion` to `fromVersion + 1` of one event type. */
  register(type: string, fromVersion: number, upcast: Upcaster): this {
    const steps = this.upcasters.get(type) ?? new Map<number, Upcaster>();
    if (steps.has(fromVersion)) throw new Error(`${type} v${fromVersion} already has an upcaster`);
    steps.set(fromVersion, upcast);
    this.upcasters.set(type, steps);
    return this;
  }

  /** The schema version new events of this type are written with: one past the last upcaster. */
  currentVersion(type: string): number {
    const steps = this.upcasters.get(type);
    return steps ? Math.max(...steps.keys()) + 1 : 1;
  }

  /** The payload lifted to the current version of its type. */
  upcast(event: VersionedPayload): unknown {
    const target = this.currentVersion(event.type);
    if (event.schemaVersion > target) {
      throw new Error(`${event.type} v${event.schemaVersion} is newer than this code (v${target})`);
    }
    let data = event.data;
    for (let version = event.schemaVersion; version < target; version++) {
      const step = this.upcasters.get(event.type)?.get(version);
      if (!step) throw new Error(`${event.type} has no upcaster from v${version}`);
      data = step(data);
    }
    return data;
  }
}

/**
 * The registry of this code base. Every event type is still at version 1;
 * the first change of shape registers its upcaster here.
 */
export const upcasters = new UpcasterRegistry();
