import { Controller, Get, Header } from '@nestjs/common';
import { Registry } from 'prom-client';
// A value import: Nest's DI reads the constructor's parameter types at run time.
import { HttpMetrics } from './http-metrics.js';
import { Public } from '../auth/auth.decorators.js';

/** Prometheus text exposition (DESIGN.md §10). */
@Public()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: HttpMetrics) {}

  @Get('metrics')
  @Header('Content-Type', Registry.PROMETHEUS_CONTENT_TYPE)
  async metricsText(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
