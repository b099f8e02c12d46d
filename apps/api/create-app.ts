import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule, type AppModuleOptions } from './app.module.js';

/**
 * Builds the Nest app (not yet listening), with Nest's own logs going through
 * our logger. nestjs-pino keeps its HTTP logger per process: when one process
 * (a test file) creates several apps, the first app's logger serves them all.
 */
export async function createApp(options: AppModuleOptions): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.forRoot(options), { bufferLogs: true });
  app.useLogger(app.get(Logger));
  return app;
}
