import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module.js';
import { acceptJsonBodiesOnly } from './http/json-body.js';

/**
 * Builds the Nest app (not yet listening), with Nest's own logs going through
 * our logger. nestjs-pino keeps its HTTP logger per process: when one process
 * (a test file) creates several apps, the first app's logger serves them all.
 */
export async function createApp(options: AppModuleOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  acceptJsonBodiesOnly(app);
  serveOpenApi(app);
  return app;
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
