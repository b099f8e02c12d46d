import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type Params } from 'nestjs-pino';
import { type Logger } from 'pino';
import { serializeErrorSafely } from '../../../libs/runtime/index.js';

/** nestjs-pino on top of that logger: one record per HTTP request, and Nest's own logs. */
export function httpLoggingParams(logger: Logger): Params {
  return {
    pinoHttp: {
      logger,
      // pino-http would put pino's plain error serializer back on its child loggers.
      serializers: { err: serializeErrorSafely },
      // Logs written while serving a request carry its id, not a copy of the whole request.
      quietReqLogger: true,
      // 503 is an answer we chose (a consistency token not reached yet, too many waiting, not
      // ready): the client is told when to retry, nothing failed on our side. Warn, not error.
      customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) =>
        res.statusCode === 503
          ? 'warn'
          : error || res.statusCode >= 500
            ? 'error'
            : res.statusCode >= 400
              ? 'warn'
              : 'info',
      // Probes hit these every few seconds: log them only when debugging.
      autoLogging: { ignore: (req: IncomingMessage) => isProbe(req.url) && logger.level !== 'debug' },
    },
  };
}

function isProbe(url: string | undefined): boolean {
  return url === '/health' || url === '/ready' || url === '/metrics';
}
