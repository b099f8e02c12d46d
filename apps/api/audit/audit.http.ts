import { type Provider, type Type } from '@nestjs/common';
import { AuditReplay } from '../../../libs/application/index.js';
import { applicationProvider } from '../http/application-providers.js';
import { EVENT_STORE } from '../injection-tokens.js';
import { AuditController } from './audit.controller.js';

/** The audit routes (DESIGN.md §9, §10): controllers and the replay they share. */
export const AUDIT_HTTP: { controllers: Type[]; providers: Provider[] } = {
  controllers: [AuditController],
  providers: [applicationProvider(AuditReplay, [EVENT_STORE])],
};
