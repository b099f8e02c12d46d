import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { Logger } from 'pino';
import { type EventStore } from '../../libs/event-store/index.js';
import { type Database } from '../../libs/persistence/index.js';
import { EVENT_STORE } from './event-store.provider.js';
import { HealthController } from './health/health.controller.js';
import { httpLoggingParams } from './logging.js';
import { HttpMetrics, HttpMetricsMiddleware } from './metrics/http-metrics.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { DATABASE, OPERATOR_TOKEN } from './runtime.js';

export interface AppModuleOptions {
  readonly logger: Logger;
  readonly eventStore: EventStore;
  /** The real Database in the service; tests may pass anything with ping(). */
  readonly database: Pick<Database, 'ping'>;
  readonly operatorToken: string;
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
      imports: [LoggerModule.forRoot(httpLoggingParams(options.logger))],
      controllers: [HealthController, MetricsController],
      providers: [
        HttpMetrics,
        { provide: EVENT_STORE, useValue: options.eventStore },
        { provide: DATABASE, useValue: options.database },
        { provide: OPERATOR_TOKEN, useValue: options.operatorToken },
      ],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes('{*path}');
  }
}
