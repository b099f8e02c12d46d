import type pg from 'pg';
import { setTenant } from '../../libs/persistence/index.js';
import { type AccessScope } from './chat-access.loader.js';
import { recomputeAccess } from './chat-access.recompute.js';

export interface PendingOptions {
  /** Root scopes of one org recomputed one by one, at most (default {@link SEPARATE_ROOT_SCOPES_AT_MOST}). */
  readonly separateRootScopesAtMost?: number;
  /** Scopes of more stored rows than this replace their rows instead of diffing them (recompute's default). */
  readonly diffAtMost?: number;
  /** Rows a recompute gathers before writing them (recompute's default). */
  readonly rowsPerWrite?: number;
}

/**
 * Up to this many root scopes of one org in one batch are recomputed as
 * they came, each as narrow as its event made it (a live batch holds one or
 * a few events). Past it, they are merged into one recompute of every
 * touched root for everyone on it: wider, but one load of the facts instead
 * of hundreds (a catch-up batch of 500 shares, chats or group joins).
 */
const SEPARATE_ROOT_SCOPES_AT_MOST = 8;

interface OrgPending {
  /** A scope of every pair of the org came in: nothing narrower matters. */
  everything: boolean;
  /** Users whose pairs on every root of the org came in. */
  readonly onEveryRoot: Set<string>;
  /** Scopes limited to some roots, in the order they came. */
  readonly rootScopes: AccessScope[];
}

/**
 * The recomputes a batch of events asks for, held until the batch's last
 * event and then run once over their union (projection-runtime `batch`).
 *
 * Why that leaves the same rows as recomputing after each event: a
 * recompute derives a pair's row from the fact tables alone, and each event's
 * scope holds every pair whose access that event can change. A pair in no
 * scope keeps its row, which no event of the batch changed; a pair in some
 * scope gets the row of the batch's final facts, which is the row the last
 * per-event recompute would have left. Recomputing a pair more than once,
 * or one no event changed, rewrites the same row.
 */
export class PendingRecomputes {
  private readonly byOrg = new Map<string, OrgPending>();
  private readonly separateAtMost: number;

  constructor(private readonly options: PendingOptions = {}) {
    this.separateAtMost = options.separateRootScopesAtMost ?? SEPARATE_ROOT_SCOPES_AT_MOST;
  }

  add(orgId: string, scope: AccessScope): void {
    let pending = this.byOrg.get(orgId);
    if (!pending) {
      pending = { everything: false, onEveryRoot: new Set(), rootScopes: [] };
      this.byOrg.set(orgId, pending);
    }
    if (pending.everything) return;
    if (scope.roots === 'all') {
      if (scope.users === undefined) pending.everything = true;
      else for (const userId of scope.users) pending.onEveryRoot.add(userId);
      return;
    }
    if (scope.roots.length > 0) pending.rootScopes.push(scope);
  }

  /** Runs the recomputes, each under its org's tenant, and forgets them. */
  async flush(client: pg.ClientBase): Promise<void> {
    for (const [orgId, pending] of this.byOrg) {
      await setTenant(client, orgId);
      for (const scope of recomputesOf(pending, this.separateAtMost))
        await recomputeAccess(client, orgId, scope, {
          ...(this.options.diffAtMost === undefined ? {} : { diffAtMost: this.options.diffAtMost }),
          ...(this.options.rowsPerWrite === undefined ? {} : { rowsPerWrite: this.options.rowsPerWrite }),
        });
    }
    this.byOrg.clear();
  }
}

function recomputesOf(pending: OrgPending, separateAtMost: number): AccessScope[] {
  if (pending.everything) return [{ roots: 'all' }];
  const scopes: AccessScope[] = [];
  if (pending.onEveryRoot.size > 0) scopes.push({ roots: 'all', users: [...pending.onEveryRoot] });
  if (pending.rootScopes.length <= separateAtMost) return [...scopes, ...pending.rootScopes];
  const roots = new Set(pending.rootScopes.flatMap((scope) => scope.roots));
  return [...scopes, { roots: [...roots] }];
}
