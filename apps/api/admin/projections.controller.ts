import { Controller, Get, Inject } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { type EventStore } from '../../../libs/event-store/index.js';
import { readProjectionStatus } from '../../../libs/projection-runtime/index.js';
import { PROJECTIONS } from '../../../projections/index.js';
import { OperatorOnly } from '../auth/auth.decorators.js';
import { EVENT_STORE } from '../injection-tokens.js';
import { READ_SIDE, type ReadSide } from '../read-side/read-side.js';

/**
 * Projection health for support staff (DESIGN.md §8, §10): what
 * `tenantry projections status` shows, over HTTP, for the operator token.
 */
@ApiTags('admin')
@ApiBearerAuth()
@OperatorOnly()
@Controller('v1/admin/projections')
export class ProjectionsAdminController {
  constructor(
    @Inject(READ_SIDE) private readonly readSide: ReadSide,
    @Inject(EVENT_STORE) private readonly eventStore: EventStore,
  ) {}

  @Get()
  @ApiOkResponse({
    description:
      '`{ projections: [{ name, version, state, position, head, lagEvents, lagSeconds, lastError, … }] }`',
  })
  async status() {
    return { projections: await readProjectionStatus(this.readSide.appPool, this.eventStore, PROJECTIONS) };
  }
}
