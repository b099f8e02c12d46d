import { type Provider, type Type } from '@nestjs/common';
import { AuditController } from './audit.controller.js';
import { AuditReplay } from './audit-replay.js';

/** The audit routes (DESIGN.md §9, §10): controllers and the replay they share. */
export const AUDIT_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [AuditController],
  providers: [AuditReplay],
};
