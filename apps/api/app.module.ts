import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_INTERCEPTOR, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { LoggerModule } from 'nestjs-pino';
import { AggregateStore } from '../../libs/command-runtime/index.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import type { Logger } from 'pino';
import { type EventStore } from '../../libs/event-store/index.js';
import { type Database } from '../../libs/persistence/index.js';
import {
  AUTH_FAILURE_LIMITS,
  AuthFailureLimiter,
  type AuthFailureLimits,
  DEFAULT_AUTH_FAILURE_LIMITS,
} from './auth/auth-failure-limiter.js';
import { BearerAuthGuard } from './auth/bearer-auth.guard.js';
import { EVENT_STORE } from './injection-tokens.js';
import { CommandResponseInterceptor } from './http/command-response.interceptor.js';
import { ProblemDetailsFilter } from './http/problem-details.filter.js';
import { validationPipe } from './http/validation.js';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor.js';
import { AUDIT_HTTP } from './audit/audit.http.js';
import { CHATS_HTTP } from './chats/chats.http.js';
import { ORGANIZATIONS_HTTP } from './organizations/organizations.http.js';
import { USERS_HTTP } from './users/users.http.js';
import { GROUPS_HTTP } from './groups/groups.http.js';
import { WORKSPACES_HTTP } from './workspaces/workspaces.http.js';
import { HealthController } from './health/health.controller.js';
import { httpLoggingParams } from './http/http-logging.js';
import { HttpMetrics, HttpMetricsMiddleware } from './metrics/http-metrics.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { DATABASE, OPERATOR_TOKEN } from './injection-tokens.js';
import { AUDIT_ONLY_PROJECTIONS, PROJECTIONS } from '../../projections/index.js';
import { ChatsQueriesController } from './chats/chats.queries.controller.js';
import { OrganizationsQueriesController } from './organizations/organizations.queries.controller.js';
import { ConsistencyGate, DEFAULT_MAX_WAITING } from './read-side/consistency-gate.js';
import { READ_SIDE, type ReadSide, ReadModels } from './read-side/read-side.js';
import { ReadScopeInterceptor, ReadScopes } from './read-side/request-read-scope.js';
import { UsersQueriesController } from './users/users.queries.controller.js';
import { ProjectionsAdminController } from './admin/projections.controller.js';
import { ProjectionMetrics } from './metrics/projection-metrics.js';
import { WorkspacesQueriesController } from './workspaces/workspaces.queries.controller.js';

/** DESIGN.md §7: a read with X-Consistency-Token waits at most this long by default. */
export const DEFAULT_CONSISTENCY_WAIT_MS = 5_000;

export interface AppModuleOptions {
  readonly logger: Logger;
  readonly eventStore: EventStore;
  /** The real Database in the service; tests may pass anything with ping(). */
  readonly database: Pick<Database, 'ping' | 'ownerPool' | 'appPool'>;
  readonly operatorToken: string;
  /** Defaults to {@link DEFAULT_CONSISTENCY_WAIT_MS}. */
  readonly consistencyWaitMs?: number;
  /** How many requests may wait for a consistency token at once; defaults to {@link DEFAULT_MAX_WAITING}. */
  readonly maxConsistencyWaiting?: number;
  /** Failed authentications per client address; defaults to {@link DEFAULT_AUTH_FAILURE_LIMITS}. */
  readonly authFailureLimits?: AuthFailureLimits;
}

/**
 * The HTTP app. What it runs on (logger, event store, Postgres) is built
 * before Nest starts (apps/api/main.ts) and handed in here, so startup order
 * and shutdown order stay in one place, and tests can hand in their own.
 */
@Module({})
export class AppModule implements NestModule {
  static forRoot(options: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [LoggerModule.forRoot(httpLoggingParams(options.logger)), CqrsModule.forRoot()],
      controllers: [
        HealthController,
        MetricsController,
        ...USERS_HTTP.controllers,
        UsersQueriesController,
        OrganizationsQueriesController,
        WorkspacesQueriesController,
        ChatsQueriesController,
        ProjectionsAdminController,
        ...ORGANIZATIONS_HTTP.controllers,
        ...GROUPS_HTTP.controllers,
        ...WORKSPACES_HTTP.controllers,
        ...CHATS_HTTP.controllers,
        ...AUDIT_HTTP.controllers,
      ],
      providers: [
        HttpMetrics,
        ProjectionMetrics,
        ProblemDetailsFilter,
        { provide: APP_FILTER, useExisting: ProblemDetailsFilter },
        { provide: APP_GUARD, useClass: BearerAuthGuard },
        { provide: APP_PIPE, useFactory: validationPipe },
        // Registration order is nesting order, outermost first. The read scope's end comes
        // first, so nothing can fail before it is in place. Idempotency must see (and replay)
        // the CommandResponse itself, before it is rendered into status and headers.
        { provide: APP_INTERCEPTOR, useClass: ReadScopeInterceptor },
        { provide: APP_INTERCEPTOR, useClass: CommandResponseInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
        {
          provide: AggregateStore,
          useFactory: (eventStore: EventStore) => new AggregateStore(eventStore, upcasters),
          inject: [EVENT_STORE],
        },
        ...USERS_HTTP.providers,
        ...ORGANIZATIONS_HTTP.providers,
        ...GROUPS_HTTP.providers,
        ...WORKSPACES_HTTP.providers,
        ...CHATS_HTTP.providers,
        ...AUDIT_HTTP.providers,
        { provide: EVENT_STORE, useValue: options.eventStore },
        { provide: DATABASE, useValue: options.database },
        {
          provide: READ_SIDE,
          useValue: {
            appPool: options.database.appPool,
            projectionNames: PROJECTIONS.map((projection) => projection.name),
            auditOnlyProjectionNames: AUDIT_ONLY_PROJECTIONS.map((projection) => projection.name),
            consistencyWaitMs: options.consistencyWaitMs ?? DEFAULT_CONSISTENCY_WAIT_MS,
            maxWaiting: options.maxConsistencyWaiting ?? DEFAULT_MAX_WAITING,
          } satisfies ReadSide,
        },
        ReadModels,
        ReadScopes,
        ConsistencyGate,
        { provide: AUTH_FAILURE_LIMITS, useValue: options.authFailureLimits ?? DEFAULT_AUTH_FAILURE_LIMITS },
        AuthFailureLimiter,
        { provide: OPERATOR_TOKEN, useValue: options.operatorToken },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
