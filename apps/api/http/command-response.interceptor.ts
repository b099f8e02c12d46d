import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { map, type Observable } from 'rxjs';
import { CommandResponse, CONSISTENCY_TOKEN_HEADER } from './command-response.js';
import { type HttpResponse } from './http-exchange.js';

/** Renders CommandResponse: status, consistency token header, and `position` in the body. */
@Injectable()
export class CommandResponseInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((result: unknown) => {
        if (!(result instanceof CommandResponse)) return result;
        const response = context.switchToHttp().getResponse<HttpResponse>();
        response.status(result.status);
        response.header(CONSISTENCY_TOKEN_HEADER, result.position);
        if (result.body === undefined) return undefined;
        return { ...result.body, position: result.position };
      }),
    );
  }
}
