import { type HttpAdapterName } from '../../libs/config/index.js';

/**
 * The HTTP adapter the HTTP tests run the API on: TENANTRY_HTTP_ADAPTER as
 * the service reads it, Express when unset. `TENANTRY_HTTP_ADAPTER=fastify`
 * runs the same tests on Fastify.
 */
export function testHttpAdapter(): HttpAdapterName {
  return process.env.TENANTRY_HTTP_ADAPTER?.trim().toLowerCase() === 'fastify' ? 'fastify' : 'express';
}
