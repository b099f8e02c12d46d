import { type IncomingHttpHeaders } from 'node:http';

/**
 * What our guards, interceptors, decorators and filter read of a request and
 * write on a response, in the shape Express's Request/Response and
 * Fastify's FastifyRequest/FastifyReply share: the code above the HTTP
 * adapter names neither (apps/api/create-app.ts picks one).
 */
export interface HttpRequest {
  readonly method: string;
  /** The path and query as the client sent them. */
  readonly originalUrl: string;
  readonly headers: IncomingHttpHeaders;
  readonly ip: string | undefined;
  readonly socket: { readonly remoteAddress?: string | undefined } | undefined;
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

export interface HttpResponse {
  status(code: number): unknown;
  header(name: string, value: string): unknown;
  type(contentType: string): unknown;
  send(body: string): unknown;
}

/** One header's value; a repeated header counts as absent rather than as a list. */
export function headerOf(request: Pick<HttpRequest, 'headers'>, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return typeof value === 'string' ? value : undefined;
}

/** Whether the response has started (Express: `headersSent`; Fastify: its Node response's). */
export function headersSent(response: HttpResponse): boolean {
  const node = 'raw' in response ? (response.raw as { headersSent?: boolean }) : response;
  return (node as { headersSent?: boolean }).headersSent === true;
}
