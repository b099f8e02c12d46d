import { type ArgumentsHost } from '@nestjs/common';
import { type PinoLogger } from 'nestjs-pino';
import pg from 'pg';
import { ProblemDetailsFilter } from './problem-details.filter.js';

/** The filter with a logger and a response that remember what they were given. */
function filterAndAnswer() {
  const logged: Array<{ level: string; msg: string }> = [];
  const logger = {
    setContext: () => undefined,
    warn: (_fields: unknown, msg: string) => logged.push({ level: 'warn', msg }),
    error: (_fields: unknown, msg: string) => logged.push({ level: 'error', msg }),
  } as unknown as PinoLogger;
  const answer = { status: 0, headers: {} as Record<string, string>, type: '', body: '' };
  const response = {
    headersSent: false,
    header(name: string, value: string) {
      answer.headers[name] = value;
      return this;
    },
    status(status: number) {
      answer.status = status;
      return this;
    },
    type(type: string) {
      answer.type = type;
      return this;
    },
    send(body: string) {
      answer.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  const filter = new ProblemDetailsFilter(logger);
  return { answerTo: (error: unknown) => (filter.catch(error, host), answer), logged, filter };
}

function databaseError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError('terminating connection due to administrator command', 0, 'error');
  error.code = code;
  return error;
}

describe('ProblemDetailsFilter, Postgres out of reach', () => {
  it.each([
    ['57P01 (the postmaster killed under a query)', databaseError('57P01')],
    ['57P03 (starting up again)', databaseError('57P03')],
    [
      'ECONNREFUSED (nothing listens)',
      Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
    ],
    ['Connection terminated unexpectedly', new Error('Connection terminated unexpectedly')],
  ])('%s: 503 DATABASE.UNAVAILABLE with Retry-After: 1, logged at warn', (_name, error) => {
    const { answerTo, logged } = filterAndAnswer();
    const answer = answerTo(error);
    expect(answer).toMatchObject({
      status: 503,
      headers: { 'Retry-After': '1' },
      type: 'application/problem+json',
    });
    expect(JSON.parse(answer.body)).toMatchObject({ status: 503, code: 'DATABASE.UNAVAILABLE' });
    expect(logged).toEqual([{ level: 'warn', msg: 'Postgres is unavailable: answered 503' }]);
  });

  it('toProblem, as the idempotency interceptor asks it, says 503 too (the key is not kept)', () => {
    expect(filterAndAnswer().filter.toProblem(databaseError('57P01'))).toMatchObject({
      status: 503,
      code: 'DATABASE.UNAVAILABLE',
    });
  });

  it('any other database error stays a 500, logged at error', () => {
    const { answerTo, logged } = filterAndAnswer();
    const answer = answerTo(databaseError('42P01'));
    expect(answer.status).toBe(500);
    expect(answer.headers).toEqual({});
    expect(JSON.parse(answer.body)).toMatchObject({ code: 'INTERNAL' });
    expect(logged).toEqual([{ level: 'error', msg: 'request failed' }]);
  });
});
