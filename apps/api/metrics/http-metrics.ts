import { Injectable, type NestMiddleware } from '@nestjs/common';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/**
 * The app's Prometheus registry: Node process metrics, and a counter and a
 * latency histogram of HTTP requests. One registry per app instance rather
 * than prom-client's global one, so tests can run several apps in one
 * process.
 */
@Injectable()
export class HttpMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method, route and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

/**
 * The Node request, as far as this middleware reads it: Express leaves the
 * matched route on it; on Fastify, whose router keeps it on its own request,
 * {@link keepFastifyRoutePattern} copies it here.
 */
export interface RoutedRequest extends IncomingMessage {
  route?: { path?: unknown };
  baseUrl?: string;
  routePattern?: string;
}

/** Times every request and counts it by its route pattern once the response is sent. */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: HttpMetrics) {}

  use(req: RoutedRequest, res: ServerResponse, next: () => void): void {
    const stopTimer = this.metrics.duration.startTimer();
    res.once('finish', () => {
      const labels = { method: req.method ?? 'UNKNOWN', route: routeOf(req), status: String(res.statusCode) };
      stopTimer(labels);
      this.metrics.requests.inc(labels);
    });
    next();
  }
}

/**
 * The route's pattern (`/v1/orgs/:org`), never the raw URL: ids in label
 * values would make a new time series per resource. Requests that matched
 * no route share one label.
 */
function routeOf(req: RoutedRequest): string {
  if (req.routePattern !== undefined) return req.routePattern;
  const pattern = req.route?.path;
  return typeof pattern === 'string' ? `${req.baseUrl ?? ''}${pattern}` : 'unmatched';
}

/** Fastify: the matched route's pattern onto the Node request, where the middleware above reads it. */
export function keepFastifyRoutePattern(fastify: FastifyInstance): void {
  fastify.addHook('onRequest', (request, _reply, done) => {
    const pattern = request.routeOptions.url;
    if (pattern !== undefined) (request.raw as RoutedRequest).routePattern = pattern;
    done();
  });
}
