import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  type AclBound,
  type AclEventFilters,
  listAclEvents,
} from '../../../projections/acl-history/index.js';
import { type OrgMembership } from '../../../projections/organizations/index.js';
import { type PageRequest } from '../../../projections/page.js';
import { encodeCursor, PageParams, toListAnswer } from '../http/pagination.js';
import { notFoundProblem, ProblemError } from '../http/problem-details.js';
import { ORG_PARAM } from '../organizations/organizations.dto.js';
import { CurrentReadScope, ReadsModels, type RequestReadScope } from '../read-side/request-read-scope.js';
import { auditPage, instantQuery, uuidQuery } from './audit.params.js';
import { AuditReplay } from '../../../libs/application/index.js';
import { isChangeKey } from '../../../libs/audit/index.js';
import { isUuid } from '../../../libs/domain/kernel/index.js';
import { isPosition } from '../../../libs/event-store/index.js';

/** DESIGN.md §9, §10: auditors, owners and admins ask; members get 403. */
const AUDIT_ROLES: ReadonlySet<string> = new Set(['auditor', 'owner', 'admin']);

/**
 * The audit routes (DESIGN.md §9, §10). Answers about the past are computed
 * by libs/audit from the event store, never from today's read models; only
 * the caller's CURRENT right to ask is read from the organizations
 * projection. Non-members, other tenants and the operator get 404 (the
 * operator before reaching here, from the guard); members 403. The
 * membership comes from the request's read scope, which the routes that
 * replay end before replaying, so a long replay holds no read connection.
 */
@ApiTags('audit')
@ApiBearerAuth()
@ApiParam(ORG_PARAM)
@ReadsModels({ auditHistory: true })
@Controller('v1/orgs/:org/audit')
export class AuditController {
  constructor(private readonly replay: AuditReplay) {}

  @Get('access')
  @ApiQuery({ name: 'chatId', required: true })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO-8601 time or log position; default now' })
  @ApiOkResponse({
    description:
      '`{ orgId, chatId, rootChatId, asOf, users: [{ userId, permissions, reasons: [{ kind, permissions, event: { eventId, position, occurredAt, actorId } }], writeBlocked }], nextCursor }`: users by id, paginated',
  })
  async access(
    @CurrentReadScope() scope: RequestReadScope,
    @Query('chatId') chatIdParam: unknown,
    @Query('asOf') asOfParam: unknown,
    @PageParams() pageParams: PageRequest,
  ) {
    const { orgId } = await auditor(scope);
    const chatId = uuidQuery('chatId', chatIdParam);
    const asOf = instantQuery('asOf', asOfParam);
    const page = auditPage(pageParams, isUuid);
    const { next, ...answer } = found(await this.replay.access({ orgId, chatId, asOf, page }));
    return { ...answer, nextCursor: next === null ? null : encodeCursor(next) };
  }

  @Get('explain')
  @ApiQuery({ name: 'chatId', required: true })
  @ApiQuery({ name: 'userId', required: true })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO-8601 time or log position; default now' })
  @ApiOkResponse({
    description:
      '`{ orgId, chatId, rootChatId, asOf, userId, allowed, permissions, reasons, writeBlocked, blockedBy: [{ kind, subjectId?, cause: { type, eventId, position, occurredAt, actorId } | null, wouldGrant: { permissions, reasons } }] }`',
  })
  async explain(
    @CurrentReadScope() scope: RequestReadScope,
    @Query('chatId') chatIdParam: unknown,
    @Query('userId') userIdParam: unknown,
    @Query('asOf') asOfParam: unknown,
  ) {
    const { orgId } = await auditor(scope);
    const chatId = uuidQuery('chatId', chatIdParam);
    const userId = uuidQuery('userId', userIdParam);
    const asOf = instantQuery('asOf', asOfParam);
    return found(await this.replay.explain({ orgId, chatId, userId, asOf }));
  }

  @Get('access-changes')
  @ApiQuery({ name: 'chatId', required: true })
  @ApiQuery({
    name: 'from',
    required: false,
    description: 'ISO-8601 time or log position; default the start',
  })
  @ApiQuery({ name: 'to', required: false, description: 'ISO-8601 time or log position; default now' })
  @ApiOkResponse({
    description:
      '`{ orgId, chatId, from, to, items: [{ userId, before, after, event: { type, eventId, position, occurredAt, actorId, streamName } }], nextCursor }`, in log order, paginated',
  })
  async accessChanges(
    @CurrentReadScope() scope: RequestReadScope,
    @Query('chatId') chatIdParam: unknown,
    @Query('from') fromParam: unknown,
    @Query('to') toParam: unknown,
    @PageParams() pageParams: PageRequest,
  ) {
    const { orgId } = await auditor(scope);
    const chatId = uuidQuery('chatId', chatIdParam);
    const from = instantQuery('from', fromParam);
    const to = instantQuery('to', toParam);
    const page = auditPage(pageParams, isChangeKey);
    const { next, ...answer } = found(await this.replay.changes({ orgId, chatId, from, to, page }));
    return { ...answer, nextCursor: next === null ? null : encodeCursor(next) };
  }

  @Get('user-access')
  @ApiQuery({ name: 'userId', required: true })
  @ApiQuery({ name: 'asOf', required: false, description: 'ISO-8601 time or log position; default now' })
  @ApiOkResponse({
    description:
      '`{ items: [{ chatId, rootChatId, createdPosition, userId, permissions, reasons, writeBlocked }], nextCursor }`: the chats the user could read, in creation order',
  })
  async userAccess(
    @CurrentReadScope() scope: RequestReadScope,
    @Query('userId') userIdParam: unknown,
    @Query('asOf') asOfParam: unknown,
    @PageParams() page: PageRequest,
  ) {
    const { orgId } = await auditor(scope);
    const userId = uuidQuery('userId', userIdParam);
    const asOf = instantQuery('asOf', asOfParam);
    // Keyed by the chats' ChatCreated positions.
    const { limit, after } = auditPage(page, isPosition);
    const { items, next } = await this.replay.userAccess({ orgId, userId, asOf, limit, after });
    return toListAnswer({ items, next });
  }

  @Get('acl-events')
  @ApiQuery({ name: 'from', required: false, description: 'ISO-8601 time or log position (exclusive)' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO-8601 time or log position (inclusive)' })
  @ApiQuery({ name: 'resource', required: false, description: 'org, workspace, group or chat id' })
  @ApiQuery({ name: 'subject', required: false, description: 'user or group id' })
  @ApiQuery({ name: 'actor', required: false, description: 'user id' })
  @ApiOkResponse({
    description:
      '`{ items: [{ position, eventId, type, occurredAt, actorId, resource: { kind, id }, subject: { kind, id } | null, before, after }], nextCursor }`, in log order',
  })
  async aclEvents(
    @CurrentReadScope() scope: RequestReadScope,
    @Query() query: Record<string, unknown>,
    @PageParams() page: PageRequest,
  ) {
    return toListAnswer(
      await scope.inOrg(async (client, membership) => {
        assertAuditor(membership);
        const filters: AclEventFilters = {
          ...bound('from', query.from),
          ...bound('to', query.to),
          ...optionalUuid('resource', query.resource),
          ...optionalUuid('subject', query.subject),
          ...optionalUuid('actor', query.actor),
        };
        return listAclEvents(client, membership.orgId, filters, page);
      }),
    );
  }
}

/**
 * The caller's current membership, when it lets them audit: 404 for
 * non-members, 403 for others. Ends the read scope: what follows replays the log.
 */
async function auditor(scope: RequestReadScope): Promise<OrgMembership> {
  const membership = await scope.inOrg(async (_client, m) => m);
  assertAuditor(membership);
  await scope.end();
  return membership;
}

function assertAuditor(membership: OrgMembership): void {
  if (!AUDIT_ROLES.has(membership.role)) {
    throw ProblemError.of(403, 'AUDIT.FORBIDDEN', 'only auditors, owners and admins may audit');
  }
}

function bound(field: 'from' | 'to', value: unknown): Partial<Record<'from' | 'to', AclBound>> {
  const instant = instantQuery(field, value);
  if (!instant) return {};
  return { [field]: instant.kind === 'position' ? { position: instant.position } : { time: instant.iso } };
}

function optionalUuid<F extends string>(field: F, value: unknown): Partial<Record<F, string>> {
  return value === undefined ? {} : ({ [field]: uuidQuery(field, value) } as Record<F, string>);
}

function found<T>(answer: T | null): T {
  if (answer === null) throw new ProblemError(notFoundProblem());
  return answer;
}
