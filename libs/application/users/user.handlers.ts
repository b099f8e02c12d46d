import { createHash, randomUUID } from 'node:crypto';
import {
  type AggregateStore,
  type CommandContext,
  type CommandOutcome,
  createUnderSlug,
  executeCommand,
} from '../../command-runtime/index.js';
import { streams } from '../../domain/streams.js';
import { OPERATOR_ACTOR_ID, type UserCommand } from '../../domain/user/user.commands.js';
import { userDecider } from '../../domain/user/user.decider.js';
import { normalizeEmail } from '../../domain/user/user.email.js';
import { type UserEvent } from '../../domain/user/user.events.js';
import { type UserState } from '../../domain/user/user.state.js';
import { issueApiToken } from './api-token.js';

type UserOutcome = CommandOutcome<UserEvent, UserState>;

export class RegisterUserCommand {
  constructor(
    readonly email: string,
    readonly displayName: string,
    readonly context: CommandContext,
  ) {}
}

/**
 * Registers a user with a first token (DESIGN.md §4, §10). Emails are unique:
 * the normalised email's hash is claimed in a reservation stream first, so no
 * email appears in a stream name, and a failed registration frees it again.
 */
export class RegisterUserHandler {
  constructor(private readonly aggregates: AggregateStore) {}

  async execute({
    email,
    displayName,
    context,
  }: RegisterUserCommand): Promise<{ outcome: UserOutcome; token: string }> {
    const userId = randomUUID();
    const token = issueApiToken(userId);
    const command: UserCommand = {
      type: 'RegisterUser',
      actorId: OPERATOR_ACTOR_ID,
      userId,
      email,
      displayName,
      firstToken: { tokenId: randomUUID(), name: 'first', hash: token.hash, prefix: token.prefix },
    };
    // Invalid input is refused before anything is claimed.
    userDecider.decide(command, userDecider.initialState);
    const emailHash = createHash('sha256').update(normalizeEmail(email)).digest('hex');
    const outcome = await createUnderSlug(
      this.aggregates,
      {
        streamName: streams.userEmailReservation(emailHash),
        slug: emailHash,
        ownerId: userId,
        holderExists: async (holderId) =>
          (await this.aggregates.load(userDecider, streams.user(holderId))).state.status !== 'absent',
        context,
        orgId: undefined,
      },
      'USER.EMAIL_TAKEN',
      () => this.run(command, context),
    );
    return { outcome, token: token.plaintext };
  }

  private run(command: UserCommand, context: CommandContext): Promise<UserOutcome> {
    return runUserCommand(this.aggregates, command, context);
  }
}

export class ChangeUserCommand {
  constructor(
    readonly command: Exclude<UserCommand, { type: 'RegisterUser' | 'IssueApiToken' }>,
    readonly context: CommandContext,
  ) {}
}

/** Suspension, reactivation and token revocation: one stream, no extra facts. */
export class ChangeUserHandler {
  constructor(private readonly aggregates: AggregateStore) {}

  execute({ command, context }: ChangeUserCommand): Promise<UserOutcome> {
    return runUserCommand(this.aggregates, command, context);
  }
}

export class IssueTokenCommand {
  constructor(
    readonly userId: string,
    readonly name: string,
    readonly context: CommandContext,
  ) {}
}

export class IssueTokenHandler {
  constructor(private readonly aggregates: AggregateStore) {}

  async execute({ userId, name, context }: IssueTokenCommand) {
    const token = issueApiToken(userId);
    const tokenId = randomUUID();
    const outcome = await runUserCommand(
      this.aggregates,
      {
        type: 'IssueApiToken',
        actorId: context.actorId,
        userId,
        token: { tokenId, name, hash: token.hash, prefix: token.prefix },
      },
      context,
    );
    return { outcome, tokenId, name, prefix: token.prefix, token: token.plaintext };
  }
}

function runUserCommand(aggregates: AggregateStore, command: UserCommand, context: CommandContext) {
  return executeCommand(aggregates, {
    decider: userDecider,
    streamName: streams.user(command.userId),
    command,
    context,
    orgId: undefined,
  });
}
