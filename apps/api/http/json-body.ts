import { type INestApplication } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type NextFunction, type Request, type Response } from 'express';
import { ProblemError } from './problem-details.js';
import { jsonBodyProblems, queryProblems } from './validation.js';

/** DESIGN.md: bodies over 64 KiB are refused (413), before any of our code reads them. */
export const JSON_BODY_LIMIT = '64kb';

/**
 * Request bodies are JSON or nothing (issue 15). Express's JSON parser reads
 * `application/json` (UTF-8) bodies up to 64 KiB; then, before routing,
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

function refuseHostileInput(request: Request): void {
  if (carriesBody(request) && !request.is('application/json')) {
    throw ProblemError.of(415, 'REQUEST.UNSUPPORTED_MEDIA_TYPE', 'request bodies must be application/json', [
      { field: 'Content-Type', message: 'must be application/json' },
    ]);
  }
  const problems = [
    ...(request.body === undefined ? [] : jsonBodyProblems(request.body)),
    ...queryProblems(request.query as Record<string, unknown>),
  ];
  if (problems.length > 0) {
    throw ProblemError.of(400, 'REQUEST.INVALID', 'the request has invalid fields', problems);
  }
}

/**
 * RFC 9112 §6.3: a request has a body when it is chunked or declares a
 * length; an explicit `Content-Length: 0` (what clients send on a bodiless
 * POST) is no body.
 */
function carriesBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
