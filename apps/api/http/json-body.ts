import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type NextFunction, type Request, type Response } from 'express';
import { type FastifyRequest } from 'fastify';
import { headerOf, type HttpRequest } from './http-exchange.js';
import { ProblemError } from './problem-details.js';
import { jsonBodyProblems, queryProblems } from './validation.js';

/** DESIGN.md: bodies over 64 KiB are refused (413), before any of our code reads them. */
export const JSON_BODY_LIMIT = '64kb';
export const JSON_BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Request bodies are JSON or nothing (issue 15). The adapter's JSON parser
 * reads `application/json` (UTF-8) bodies up to 64 KiB; then, before routing,
 * guards or DTOs:
 *
 * - a body of any other media type (or of none) is 415: it used to be
 *   dropped unread, so a share sent as text/plain answered 200 and shared
 *   nothing;
 * - a parsed body must pass `jsonBodyProblems` (an object, nesting, prototype
 *   keys, storable text) and the query `queryProblems`, else 400 naming the
 *   fields.
 *
 * Shape problems come before authentication, as malformed JSON always has:
 * they say nothing about any resource.
 */
export function acceptJsonBodiesOnly(app: INestApplication): void {
  const express = app as NestExpressApplication;
  express.useBodyParser('json', { limit: JSON_BODY_LIMIT });
  express.use((request: Request, _response: Response, next: NextFunction) => {
    try {
      refuseHostileInput(request);
      next();
    } catch (error) {
      next(error);
    }
  });
}

/**
 * The same rules on Fastify: its own parsers (JSON, and text/plain, which
 * Express never read) give way to one JSON parser with Express's rules
 * (objects or arrays only, UTF-8 family charsets, an empty body is no body),
 * every other media type fails in a catch-all parser, and the checks above
 * run in a preValidation hook, after parsing and before Nest's guards.
 * The 64 KiB limit is Fastify's `bodyLimit` (create-app.ts), which answers
 * 413 before reading more.
 */
export function acceptJsonBodiesOnlyOnFastify(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      done(null, parseJsonBody(request, body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  fastify.addContentTypeParser('*', (_request, _payload, done) => done(unsupportedMediaType(), undefined));
  fastify.addHook('preValidation', async (request) => refuseHostileInput(request as FastifyHttpRequest));
}

type FastifyHttpRequest = FastifyRequest & HttpRequest;

const malformedJson = () =>
  ProblemError.of(400, 'REQUEST.MALFORMED_JSON', 'the request body is not valid JSON');

const unsupportedMediaType = () =>
  ProblemError.of(415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json', [
    { field: 'Content-Type', message: 'must be application/json' },
  ]);

/** body-parser's `json()` as Express runs it: strict (an object or an array), Unicode charsets only. */
function parseJsonBody(request: FastifyRequest, body: Buffer): unknown {
  const charset = (
    /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(headerOf(request, 'content-type') ?? '')?.[1] ?? 'utf-8'
  ).toLowerCase();
  if (!charset.startsWith('utf-')) throw unsupportedMediaType();
  let text: string;
  try {
    text = new TextDecoder(charset, { fatal: false }).decode(body);
  } catch {
    throw unsupportedMediaType();
  }
  if (text.length === 0) return undefined;
  const first = /^[\x20\x09\x0a\x0d]*(.)/.exec(text)?.[1];
  if (first !== '{' && first !== '[') throw malformedJson();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformedJson();
  }
}

function refuseHostileInput(request: HttpRequest & { is?: (type: string) => unknown }): void {
  if (carriesBody(request) && !isJson(request)) throw unsupportedMediaType();
  const problems = [
    ...(request.body === undefined ? [] : jsonBodyProblems(request.body)),
    ...queryProblems(request.query as Record<string, unknown>),
  ];
  if (problems.length > 0) {
    throw ProblemError.of(400, 'REQUEST.INVALID', 'the request has invalid fields', problems);
  }
}

/** Express's `request.is('application/json')`, or the media type of the header where there is no such method. */
function isJson(request: HttpRequest & { is?: (type: string) => unknown }): boolean {
  if (request.is) return Boolean(request.is('application/json'));
  const type = headerOf(request, 'content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

/**
 * RFC 9112 §6.3: a request has a body when it is chunked or declares a
 * length; an explicit `Content-Length: 0` (what clients send on a bodiless
 * POST) is no body.
 */
function carriesBody(request: Pick<HttpRequest, 'headers'>): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
