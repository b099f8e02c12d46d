import {
  type CallHandler,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
  type NestInterceptor,
  SetMetadata,
} from '@nestjs/common';
import type pg from 'pg';
import { finalize, type Observable } from 'rxjs';
import { isUuid, SLUG_PATTERN } from '../../../libs/domain/kernel/index.js';
import { ReadTransaction } from '../../../libs/persistence/index.js';
import { type ChatAccess, getCallerChatAccess } from '../../../projections/chat-access/index.js';
import { type ChatView, getTenantChat } from '../../../projections/chats/index.js';
import { enterOrg, type OrgMembership } from '../../../projections/organizations/index.js';
import { authenticateCaller, type TokenLookup } from '../../../projections/users/index.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { READ_SIDE, type ReadSide } from './read-side.js';

/**
 * One read transaction per request (issue 12). A route marked
 * {@link ReadsModels} answers from the read models inside one read-only
 * transaction of the app role (libs/persistence BEGIN_READ_SQL: READ COMMITTED,
 * and why) that BearerAuthGuard opens
 * while it authenticates: `BEGIN`, the token's lookup (which sets the caller),
 * the org the path names (which, for a member, sets the tenant) and the
 * caller's access to the chat the path names go out together, one round trip
 * on the pipelining app pool (libs/persistence ReadTransaction). The handler
 * reads through the same transaction ({@link CurrentReadScope}), so
 * authentication, org resolution, the access check and the read run in one
 * transaction. {@link ReadScopeInterceptor} ends it on every path once the
 * handler is done, and the guard on the paths that never reach the handler.
 *
 * Row-level security is what scopes it, as before: the tenant is set only by
 * the membership statement, and only for an org the authenticated caller
 * belongs to; until then every tenant table reads as empty.
 */

export const READS_MODELS = 'tenantry:readsModels';

export interface ReadsModelsOptions {
  /**
   * The route's answer is the chat the path names, and nothing more is read
   * (GET …/chats/{chatId}): the scope reads the chat in its opening round
   * trip and sends the COMMIT with it, so the request makes one round trip to
   * Postgres in all. The handler takes it from {@link RequestReadScope.readableChatView}.
   */
  readonly answer?: 'chat';
  /**
   * The route's answer is one read in the org the path names, for the
   * caller ({@link FirstRead}): the scope sends it, and the COMMIT, in its
   * opening round trip, so the request makes one round trip to Postgres in
   * all (GET …/chats, the first page: benchmark B5). The handler takes its
   * result from {@link RequestReadScope.answer}.
   */
  readonly firstRead?: FirstRead<unknown>;
  /**
   * The route reads the ACL history (the audit routes): a consistency token
   * waits for the projections only they read too (ConsistencyGate).
   */
  readonly auditHistory?: boolean;
}

/** The route (or every route of the controller) answers from the read models: the guard opens its read scope. */
export const ReadsModels = (options: ReadsModelsOptions = {}) => SetMetadata(READS_MODELS, options);

/** Where the guard leaves the read scope on the request. */
export const READ_SCOPE = Symbol('readScope');

export interface ScopedRequest {
  [READ_SCOPE]?: RequestReadScope;
}

/** The request's read scope, on routes marked {@link ReadsModels}. */
export const CurrentReadScope = createParamDecorator(
  (_: unknown, context: ExecutionContext): RequestReadScope => {
    const scope = context.switchToHttp().getRequest<ScopedRequest>()[READ_SCOPE];
    if (!scope) throw new Error('CurrentReadScope on a route not marked @ReadsModels()');
    return scope;
  },
);

/** Who the scope is for: a token the projection must accept, or a user the log has already vouched for. */
export type ScopeCaller =
  | { readonly kind: 'token'; readonly hash: string; readonly claimedUserId: string }
  | { readonly kind: 'user'; readonly userId: string };

/** What the route's path names (`:org`, `:chatId`), resolved in the round trip that opens the scope. */
export interface ScopeTarget {
  readonly org?: string | undefined;
  readonly chatId?: string | undefined;
  /** See {@link ReadsModelsOptions.answer}. */
  readonly answer?: 'chat' | undefined;
  /** The route's {@link FirstRead}, made for this request's query string. */
  readonly firstRead?: FirstReadOf<unknown> | undefined;
}

/**
 * A route's one read in its org, made from the request's query string: a
 * statement that reads as the transaction's caller in its tenant (the
 * settings the scope's statements before it make), so it can leave in the
 * round trip that authenticates. A query string the route refuses makes it
 * throw the route's 400 (a ProblemError), which the handler then answers.
 */
export interface FirstRead<T> {
  readonly build: (query: Readonly<Record<string, unknown>>) => (client: pg.ClientBase) => Promise<T>;
}

export function firstRead<T>(build: FirstRead<T>['build']): FirstRead<T> {
  return { build };
}

/** A {@link FirstRead} made for one request: its statement, or why the request is refused. */
export type FirstReadOf<T> =
  | { readonly of: FirstRead<T>; readonly read: (client: pg.ClientBase) => Promise<T> }
  | { readonly of: FirstRead<T>; readonly refusal: ProblemError };

/** The route's first read made for `query`; a ProblemError it throws is kept for the handler. */
export function firstReadFor<T>(of: FirstRead<T>, query: Readonly<Record<string, unknown>>): FirstReadOf<T> {
  try {
    return { of, read: of.build(query) };
  } catch (error) {
    if (error instanceof ProblemError) return { of, refusal: error };
    throw error;
  }
}

/** What came of a first read: its result, or the refusal the handler answers. */
type FirstReadResult = { readonly of: FirstRead<unknown> } & (
  { readonly result: unknown } | { readonly refusal: ProblemError }
);

export class RequestReadScope {
  constructor(
    private readonly transaction: ReadTransaction,
    /** The authenticated caller. */
    readonly userId: string,
    private readonly membership: OrgMembership | null,
    private readonly chatAccess: ChatAccess | null,
    /** The chat the path names, when the route's answer is it (null: none such); undefined when not read. */
    private readonly chat: ChatView | null | undefined = undefined,
    private readonly first: FirstReadResult | undefined = undefined,
  ) {}

  /**
   * The result of the route's {@link FirstRead} (`@ReadsModels({ firstRead })`),
   * read with the scope. A query string the route refuses answers its 400
   * first, as the route's own parameter parsing would; a caller who is no
   * member of the org the path names gets the one 404 body.
   */
  answer<T>(of: FirstRead<T>): T {
    const first = this.first;
    if (first?.of !== of) {
      throw new Error(
        'the first read was not made with the scope: mark the route @ReadsModels({ firstRead })',
      );
    }
    if ('refusal' in first) throw first.refusal;
    if (!this.membership) throw new ProblemError(notFoundProblem());
    // The result is of the read `of` made (the identity above), whose type is T.
    return first.result as T;
  }

  /** Platform reads for the caller (their profile, tokens, the orgs they belong to): no tenant set. */
  async asUser<T>(read: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return read(this.transaction.client);
  }

  /**
   * Reads inside the org the path names (`:org`, its id or slug), as its
   * tenant. Whatever does not name an org the caller belongs to (missing,
   * another tenant's, left, malformed) is the same 404 (DESIGN.md §5).
   */
  async inOrg<T>(read: (client: pg.PoolClient, membership: OrgMembership) => Promise<T>): Promise<T> {
    if (!this.membership) throw new ProblemError(notFoundProblem());
    return read(this.transaction.client, this.membership);
  }

  /**
   * The caller's access to the chat the path names (`:chatId`), when it lets
   * them read it; otherwise (missing, deleted, another tenant's, not shared)
   * the one 404 body.
   */
  readableChat(): ChatAccess {
    if (!this.membership || !this.chatAccess?.permissions.includes('read')) {
      throw new ProblemError(notFoundProblem());
    }
    return this.chatAccess;
  }

  /**
   * The chat the path names, read with the scope (routes marked
   * `@ReadsModels({ answer: 'chat' })`), and the caller's access to it, when
   * that lets them read it; otherwise the one 404 body, as
   * {@link readableChat}.
   */
  readableChatView(): { chat: ChatView; access: ChatAccess } {
    const access = this.readableChat();
    if (this.chat === undefined) {
      throw new Error(
        "the chat was not read with the scope: mark the route @ReadsModels({ answer: 'chat' })",
      );
    }
    if (this.chat === null) throw new ProblemError(notFoundProblem());
    return { chat: this.chat, access };
  }

  /**
   * Ends the transaction and gives its connection back: the interceptor does
   * it after every request; a handler with slow work left that reads nothing
   * more (audit replay) does it early. Idempotent.
   */
  end(): Promise<void> {
    return this.transaction.end();
  }
}

/**
 * Asks, on the scope's session and ahead of its reads, whether the
 * projections have reached a consistency token (ConsistencyGate.confirmIn).
 */
export type ConfirmPosition = (client: pg.ClientBase) => Promise<boolean>;

/** Opens request read scopes on the app pool. */
@Injectable()
export class ReadScopes {
  constructor(@Inject(READ_SIDE) private readonly readSide: ReadSide) {}

  /**
   * Opens a scope for `caller` in one round trip. For a token, `lookup` is
   * what the users projection holds for it, and `scope` is null (the
   * transaction already ended) unless the projection accepts it. With
   * `confirm`, `scope` is also null, and `unconfirmed` set, when the
   * projections have not reached the request's consistency token.
   */
  async open(
    caller: ScopeCaller,
    target: ScopeTarget,
    confirm?: ConfirmPosition,
  ): Promise<{ scope: RequestReadScope | null; lookup: TokenLookup | null; unconfirmed?: true }> {
    const org = orgOf(target.org);
    const chatId =
      org !== null && target.chatId !== undefined && isUuid(target.chatId)
        ? target.chatId.toLowerCase()
        : null;
    const answersChat = target.answer === 'chat';
    const firstRead = target.firstRead;
    const read = org !== null && firstRead && 'read' in firstRead ? firstRead.read : null;
    const { transaction, first } = await ReadTransaction.begin(
      this.readSide.appPool,
      caller.kind === 'user' ? { userId: caller.userId } : {},
      (client) =>
        // Sent together; each statement sees the settings the ones before it made.
        Promise.all([
          // First: every read after it sees at least the checkpoints it saw.
          confirm ? confirm(client) : true,
          caller.kind === 'token' ? authenticateCaller(client, caller.hash, caller.claimedUserId) : null,
          org === null ? null : enterOrg(client, org),
          chatId === null ? null : getCallerChatAccess(client, chatId),
          chatId === null || !answersChat ? null : getTenantChat(client, chatId),
          read === null ? null : read(client),
        ]),
      // A first read is all the route reads: without an org to read in, the answer is a 404 or its 400.
      { endWithFirst: answersChat || firstRead !== undefined },
    );
    const [confirmed, lookup, membership, access, chat, result] = first;
    if (!confirmed) {
      await transaction.end();
      return { scope: null, lookup, unconfirmed: true };
    }
    let userId: string;
    if (caller.kind === 'user') {
      userId = caller.userId;
    } else if (accepts(lookup, caller.claimedUserId)) {
      userId = lookup.userId;
    } else {
      await transaction.end();
      return { scope: null, lookup };
    }
    const scope = new RequestReadScope(
      transaction,
      userId,
      membership,
      access,
      answersChat ? chat : undefined,
      firstRead && ('refusal' in firstRead ? firstRead : { of: firstRead.of, result }),
    );
    return { scope, lookup };
  }
}

/** Whether the users projection accepts the token for the user it names (DESIGN.md §4). */
export function accepts(lookup: TokenLookup | null, claimedUserId: string): lookup is TokenLookup {
  // The lookup is by hash, so a match proves possession; the id must still be the one the token names.
  return (
    lookup !== null && !lookup.revoked && lookup.userStatus === 'active' && lookup.userId === claimedUserId
  );
}

function orgOf(org: string | undefined): string | null {
  if (org === undefined) return null;
  if (isUuid(org)) return org.toLowerCase();
  return SLUG_PATTERN.test(org) ? org : null;
}

/**
 * Ends the request's read scope once the handler is done, whatever it did
 * (answered, threw, failed validation). Registered outermost, so no other
 * interceptor can fail before it is in place. The COMMIT is not awaited: the
 * transaction wrote nothing, so the answer does not wait for it.
 */
@Injectable()
export class ReadScopeInterceptor implements NestInterceptor {
  private readonly logger = new Logger(ReadScopeInterceptor.name);

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<ScopedRequest>();
    return next.handle().pipe(
      finalize(() => {
        request[READ_SCOPE]?.end().catch((error: unknown) => {
          this.logger.warn({ err: error }, 'ending a read transaction failed');
        });
      }),
    );
  }
}
