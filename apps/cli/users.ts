import { randomUUID } from 'node:crypto';
import { AggregateStore } from '../../libs/command-runtime/index.js';
import { DomainError } from '../../libs/domain/kernel/index.js';
import { OPERATOR_ACTOR_ID } from '../../libs/domain/user/user.commands.js';
import { upcasters } from '../../libs/domain/upcasting/upcaster-registry.js';
import { type EventStore } from '../../libs/event-store/index.js';
import { RegisterUserCommand, RegisterUserHandler } from '../../libs/application/index.js';
import { EXIT, OpsError, type OpsIo } from './projections.js';

/**
 * `tenantry users create --email E --name N` (DESIGN.md §8, support staff
 * bootstrap): the operator's POST /v1/users, through the same command
 * handler (libs/application RegisterUserHandler: email reservation, the user decider,
 * appended with the expected revision), so the same rules refuse the same
 * input. Prints the token once; the log holds only its hash.
 */
export async function usersCreate(
  eventStore: EventStore,
  options: { email: string; name: string },
  io: OpsIo,
): Promise<number> {
  const handler = new RegisterUserHandler(new AggregateStore(eventStore, upcasters));
  const requestId = randomUUID();
  try {
    const { outcome, token } = await handler.execute(
      new RegisterUserCommand(options.email, options.name, {
        actorId: OPERATOR_ACTOR_ID,
        correlationId: requestId,
        causationId: requestId,
        now: new Date(),
      }),
    );
    const state = outcome.state;
    if (state.status === 'absent') throw new Error('registering answered with no user');
    const user = {
      id: state.userId,
      email: state.email,
      displayName: state.displayName,
      status: state.status,
    };
    if (io.json) {
      io.stdout.write(`${JSON.stringify({ user, token, position: outcome.position })}\n`);
    } else {
      io.stdout.write(`${token}\n`);
      io.stderr.write(
        `registered ${user.displayName} <${user.email}> as ${user.id} (position ${outcome.position}); ` +
          'the token above is shown once\n',
      );
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof DomainError) throw new OpsError(error.code, error.message);
    throw error;
  }
}
