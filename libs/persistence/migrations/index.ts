import { EventStoreSchema1732406400000 } from './1732406400000-event-store-schema.js';
import { IdempotencyKeys1732406500000 } from './1732406500000-idempotency-keys.js';
import { ProjectionRuntime1732500000000 } from './1732500000000-projection-runtime.js';
import { ProjectionFailures1732510000000 } from './1732510000000-projection-failures.js';
import { ProjectionBuilds1732600000000 } from './1732600000000-projection-builds.js';
import { ProjectionBuildTargets1732700000000 } from './1732700000000-projection-build-targets.js';
import { BuildTenants1732800000000 } from './1732800000000-build-tenants.js';
import { MoveCheckpoint1732900000000 } from './1732900000000-move-checkpoint.js';

/** Every migration, oldest first. A new one is appended here; an applied one never changes. */
export const MIGRATIONS = [
  EventStoreSchema1732406400000,
  IdempotencyKeys1732406500000,
  ProjectionRuntime1732500000000,
  ProjectionFailures1732510000000,
  ProjectionBuilds1732600000000,
  ProjectionBuildTargets1732700000000,
  BuildTenants1732800000000,
  MoveCheckpoint1732900000000,
];
