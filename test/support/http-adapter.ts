import { type HttpAdapterName } from '../../libs/config/index.js';

/**
 * The HTTP adapter the HTTP tests run the API on: TENANTRY_HTTP_ADAPTER as
 * the service reads it, Fastify when unset. `TENANTRY_HTTP_ADAPTER=express`
 * runs the same tests on Express.
 */
export function testHttpAdapter(): HttpAdapterName {
  return process.env.TENANTRY_HTTP_ADAPTER?.trim().toLowerCase() === 'express' ? 'express' : 'fastify';
}
