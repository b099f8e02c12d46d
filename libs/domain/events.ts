import { type ChatEvent } from './chat/chat.events.js';
import { type GroupEvent } from './group/group.events.js';
import { type OrganizationEvent } from './organization/organization.events.js';
import { type ReservationEvent } from './reservation/reservation.decider.js';
import { type UserEvent } from './user/user.events.js';
import { type WorkspaceEvent } from './workspace/workspace.events.js';

/**
 * Every event the domain appends, of every stream: what a projection that
 * must say what it does with each type (chat-access) maps over, so that a new
 * event type is a compile error there until it is handled or set aside.
 */
export type TenantryEvent =
  UserEvent | ReservationEvent | OrganizationEvent | GroupEvent | WorkspaceEvent | ChatEvent;

export type TenantryEventType = TenantryEvent['type'];
