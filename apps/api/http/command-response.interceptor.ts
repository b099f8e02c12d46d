import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Response } from 'express';
import { map, type Observable } from 'rxjs';
import { CommandResponse, CONSISTENCY_TOKEN_HEADER } from './command-response.js';

/** Renders CommandResponse: status, consistency token header, and `position` in the body. */
@Injectable()
export class CommandResponseInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof CommandResponse)) return result;
        const response = context.switchToHttp().getResponse<Response>();
        response.status(result.status);
        response.setHeader(CONSISTENCY_TOKEN_HEADER, result.position);
        if (result.body === undefined) return undefined;
        return { ...result.body, position: result.position };
      }),
    );
  }
}
