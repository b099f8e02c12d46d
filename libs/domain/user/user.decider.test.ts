import { deciderSpec } from '../../../test/support/decider-spec.js';
import { DomainError } from '../kernel/index.js';
import { type NewApiToken, OPERATOR_ACTOR_ID, type UserCommand } from './user.commands.js';
import { userDecider } from './user.decider.js';
import { type UserEvent } from './user.events.js';

const spec = deciderSpec(userDecider);
const TEXT_OUT_OF_BOUNDS = [
  ['that is empty', ''],
  ['that is blank', '   '],
  ['of 101 characters', 'x'.repeat(101)],
];
const operator = OPERATOR_ACTOR_ID;
const alice = 'a11ce000-0000-4000-8000-000000000001';
const bob = 'b0b00000-0000-4000-8000-000000000002';

const token = (n: number, name = `token ${n}`): NewApiToken => ({
  tokenId: `70ce0000-0000-4000-8000-00000000000${n}`,
  name,
  hash: n.toString(16).repeat(64),
  prefix: `tnt_${n}abc`,
});
const issuedEvent = (t: NewApiToken): UserEvent => ({
  type: 'ApiTokenIssued',
  data: { userId: alice, ...t },
});

const register = (overrides: Partial<Extract<UserCommand, { type: 'RegisterUser' }>> = {}): UserCommand => ({
  type: 'RegisterUser',
  actorId: operator,
  userId: alice,
  email: 'alice@example.org',
  displayName: 'Alice',
  firstToken: token(1, 'initial'),
  ...overrides,
});
const registered: UserEvent[] = [
  { type: 'UserRegistered', data: { userId: alice, email: 'alice@example.org', displayName: 'Alice' } },
  issuedEvent(token(1, 'initial')),
];
const suspended: UserEvent = { type: 'UserSuspended', data: { userId: alice } };
const reactivated: UserEvent = { type: 'UserReactivated', data: { userId: alice } };
const revoked = (t: NewApiToken): UserEvent => ({
  type: 'ApiTokenRevoked',
  data: { userId: alice, tokenId: t.tokenId },
});

const issue = (actorId: string, t: NewApiToken) =>
  ({ type: 'IssueApiToken', actorId, userId: alice, token: t }) as const;
const revoke = (actorId: string, tokenId: string) =>
  ({ type: 'RevokeApiToken', actorId, userId: alice, tokenId }) as const;
const suspend = { type: 'SuspendUser', actorId: operator, userId: alice } as const;
const reactivate = { type: 'ReactivateUser', actorId: operator, userId: alice } as const;

describe('User', () => {
  describe('registration', () => {
    it('registers the user and issues their first token in one append', () => {
      spec.given().when(register()).then(registered);
    });

    it('stores the email trimmed and in lower case', () => {
      spec
        .given()
        .when(register({ email: '  Alice@Example.ORG ' }))
        .then(registered);
    });

    it('accepts loosely shaped emails from 3 to 254 characters', () => {
      for (const email of ['a@b', `${'x'.repeat(244)}@example.o`, 'first.last+tag@sub.example.co.uk']) {
        expect(userDecider.decide(register({ email }), userDecider.initialState)[0]).toEqual({
          type: 'UserRegistered',
          data: { userId: alice, email, displayName: 'Alice' },
        });
      }
    });

    it.each([
      ['no @', 'alice'],
      ['two @', 'a@b@c'],
      ['nothing before the @', '@example.org'],
      ['nothing after the @', 'alice@'],
      ['whitespace', 'al ice@example.org'],
      ['255 characters', `${'x'.repeat(245)}@example.o`],
    ])('refuses an email with %s, naming the field', (_, email) => {
      spec.given().when(register({ email })).thenRefuses('INPUT.EMAIL', 'invalid', ['email']);
    });

    it.each(TEXT_OUT_OF_BOUNDS)('refuses a display name %s', (_, displayName) => {
      spec
        .given()
        .when(register({ displayName }))
        .thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['displayName']);
    });

    it('refuses anyone but the operator', () => {
      spec
        .given()
        .when({ ...register(), actorId: bob } as unknown as UserCommand)
        .thenRefuses('USER.OPERATOR_ONLY', 'forbidden');
    });

    it('cannot register the same user twice', () => {
      spec
        .given(...registered)
        .when(register())
        .thenRefuses('USER.ALREADY_EXISTS', 'conflict');
    });

    it('answers every other command on an unknown user as not found', () => {
      for (const command of [suspend, reactivate, issue(alice, token(2)), revoke(alice, token(1).tokenId)]) {
        spec.given().when(command).thenRefuses('USER.NOT_FOUND', 'notFound');
      }
    });
  });

  describe('suspension', () => {
    it('the operator suspends and reactivates', () => {
      spec
        .given(...registered)
        .when(suspend)
        .then([suspended]);
      spec
        .given(...registered, suspended)
        .when(reactivate)
        .then([reactivated]);
    });

    it('appends nothing when the user is already in the state asked for', () => {
      spec
        .given(...registered, suspended)
        .when(suspend)
        .thenNothing();
      spec
        .given(...registered)
        .when(reactivate)
        .thenNothing();
      spec
        .given(...registered, suspended, reactivated)
        .when(reactivate)
        .thenNothing();
    });

    it('refuses users, even the user themself', () => {
      for (const command of [suspend, reactivate]) {
        spec
          .given(...registered, suspended)
          .when({ ...command, actorId: alice } as unknown as UserCommand)
          .thenRefuses('USER.OPERATOR_ONLY', 'forbidden');
      }
    });

    it('keeps the tokens, which count again after reactivation', () => {
      const { state } = spec.given(...registered, suspended, reactivated);
      expect(state.status === 'active' && state.tokens.get(token(1).tokenId)?.revoked).toBe(false);
    });
  });

  describe('tokens', () => {
    it('a user issues a token for themself', () => {
      spec
        .given(...registered)
        .when(issue(alice, token(2)))
        .then([issuedEvent(token(2))]);
    });

    it('another user or the operator cannot see them: 404', () => {
      for (const actor of [bob, operator]) {
        spec
          .given(...registered)
          .when(issue(actor, token(2)))
          .thenRefuses('USER.NOT_FOUND', 'notFound');
        spec
          .given(...registered)
          .when(revoke(actor, token(1).tokenId))
          .thenRefuses('USER.NOT_FOUND', 'notFound');
      }
    });

    it('refuses to issue while suspended, and issues again once reactivated', () => {
      spec
        .given(...registered, suspended)
        .when(issue(alice, token(2)))
        .thenRefuses('USER.SUSPENDED', 'forbidden');
      spec
        .given(...registered, suspended, reactivated)
        .when(issue(alice, token(2)))
        .then([issuedEvent(token(2))]);
    });

    it.each(TEXT_OUT_OF_BOUNDS)('refuses a token name %s', (_, name) => {
      spec
        .given(...registered)
        .when(issue(alice, token(2, name)))
        .thenRefuses('INPUT.TEXT_LENGTH', 'invalid', ['name']);
    });

    it('refuses a token id already used, even a revoked one', () => {
      spec
        .given(...registered, revoked(token(1)))
        .when(issue(alice, token(1)))
        .thenRefuses('USER.TOKEN_ALREADY_EXISTS', 'conflict');
    });

    it('revokes a token, also while suspended', () => {
      spec
        .given(...registered)
        .when(revoke(alice, token(1).tokenId))
        .then([revoked(token(1))]);
      spec
        .given(...registered, suspended)
        .when(revoke(alice, token(1).tokenId))
        .then([revoked(token(1))]);
    });

    it('answers an unknown or already revoked token as not found', () => {
      spec
        .given(...registered)
        .when(revoke(alice, token(9).tokenId))
        .thenRefuses('USER.TOKEN_NOT_FOUND', 'notFound');
      spec
        .given(...registered, revoked(token(1)))
        .when(revoke(alice, token(1).tokenId))
        .thenRefuses('USER.TOKEN_NOT_FOUND', 'notFound');
    });

    it('keeps each token with its issuing event and revoked flag', () => {
      const { state } = spec.given(...registered, issuedEvent(token(2)), revoked(token(1)));
      expect(state.status === 'active' && state.tokens.toObject()).toEqual({
        [token(1).tokenId]: expect.objectContaining({ ...token(1, 'initial'), revoked: true }),
        [token(2).tokenId]: expect.objectContaining({
          ...token(2),
          revoked: false,
          issuedAt: expect.objectContaining({ eventId: '00000000-0000-4000-8000-000000000003' }),
        }),
      });
    });
  });

  describe('no plaintext token in the log (DESIGN.md §4)', () => {
    const plaintext = 'tnt_2abcSECRET';
    // A handler that wrongly left the plaintext on the command: it must not reach the log.
    const smuggled = { ...token(2), plaintext, token: plaintext } as NewApiToken;
    const active = spec.given(...registered).state;

    it('events carry exactly the hash and prefix of a token, nothing named like the secret', () => {
      const events = [
        ...userDecider.decide(register({ firstToken: smuggled }), userDecider.initialState),
        ...userDecider.decide(issue(alice, smuggled), active),
        ...userDecider.decide(revoke(alice, token(1).tokenId), active),
      ];
      const issued = events.filter((e) => e.type === 'ApiTokenIssued');
      expect(issued).toHaveLength(2);
      for (const event of issued) {
        expect(Object.keys(event.data).sort()).toEqual(['hash', 'name', 'prefix', 'tokenId', 'userId']);
      }
      for (const event of events) {
        const named = Object.keys(event.data).filter(
          (key) => key !== 'tokenId' && /token|plain|secret/i.test(key),
        );
        expect(named).toEqual([]);
        expect(JSON.stringify(event)).not.toContain(plaintext);
      }
    });

    it.each([
      ['the plaintext passed as the hash', { hash: plaintext }],
      ['an upper-case hash', { hash: 'A'.repeat(64) }],
      ['a prefix of the wrong length', { prefix: plaintext }],
    ])('fails as a bug (500), not as a refusal, on %s', (_, digest) => {
      let error: unknown;
      try {
        userDecider.decide(issue(alice, { ...token(2), ...digest }), active);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(DomainError);
    });
  });
});
