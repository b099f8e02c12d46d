import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { type HttpAdapterName } from '../../libs/config/index.js';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { keepFastifyRoutePattern } from './metrics/http-metrics.js';
import { problem, PROBLEM_CONTENT_TYPE } from './http/problem-details.js';
import {
  acceptJsonBodiesOnly,
  acceptJsonBodiesOnlyOnFastify,
  JSON_BODY_LIMIT_BYTES,
} from './http/json-body.js';

export interface CreateAppOptions extends AppModuleOptions {
  /** The HTTP server under Nest (TENANTRY_HTTP_ADAPTER); Fastify unless told otherwise. */
  readonly httpAdapter?: HttpAdapterName;
}

/**
 * Builds the Nest app (not yet listening), with Nest's own logs going through
 * our logger. nestjs-pino keeps its HTTP logger per process: when one process
 * (a test file) creates several apps, the first app's logger serves them all.
 */
export async function createApp(options: CreateAppOptions): Promise<INestApplication> {
  const app =
    options.httpAdapter === 'express' ? await createExpressApp(options) : await createFastifyApp(options);
  app.useLogger(app.get(Logger));
  serveOpenApi(app);
  return app;
}

async function createExpressApp(options: AppModuleOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bufferLogs: true,
    bodyParser: false,
  });
  acceptJsonBodiesOnly(app);
  return app;
}

/**
 * Fastify, set to route as Express does: paths match whatever their case and
 * with or without a trailing slash, and a path parameter may be as long as
 * the request line allows (Fastify's default cuts them at 100 characters,
 * answering 414). A URL Fastify's router cannot decode (bad percent-encoding)
 * never reaches Nest: it answers problem+json here.
 */
async function createFastifyApp(options: AppModuleOptions): Promise<INestApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: JSON_BODY_LIMIT_BYTES,
    // Its own 503 while closing has a body of Fastify's: answerWhileClosing answers problem+json.
    return503OnClosing: false,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: 16_384 },
    frameworkErrors: (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
      const body =
        error.code === 'FST_ERR_BAD_URL'
          ? problem(400, 'REQUEST.INVALID', 'the request URL is not valid percent-encoded UTF-8')
          : problem(500, 'INTERNAL', 'something went wrong on our side');
      void reply.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(options), adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  acceptJsonBodiesOnlyOnFastify(app);
  keepFastifyRoutePattern(app.getHttpAdapter().getInstance());
  answerWhileClosing(app.getHttpAdapter().getInstance());
  return app;
}

/**
 * A request that reaches the server once it has begun to close (on a
 * keep-alive connection: new connections are no longer accepted) answers
 * 503 problem+json with `Retry-After` and `Connection: close`, as every
 * error of this API does (DESIGN.md §10), instead of running against a
 * process that is shutting down.
 */
export function answerWhileClosing(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!closing) return done();
    const body = problem(503, 'SERVICE.SHUTTING_DOWN', 'the service is shutting down: retry shortly');
    void reply
      .status(503)
      .header('retry-after', '1')
      .header('connection', 'close')
      .type(PROBLEM_CONTENT_TYPE)
      .send(JSON.stringify(body));
  });
}

/** The OpenAPI document, built from the same DTOs that validate requests: /openapi.json, and a UI at /docs. */
function serveOpenApi(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Tenantry')
    .setDescription('Event-sourced, multi-tenant authorization backend (DESIGN.md §10).')
    .setVersion('1')
    .addBearerAuth()
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
}
