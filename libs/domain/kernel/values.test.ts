import { describe, expect, it } from '@jest/globals';
import { assertEmail } from '../user/user.email.js';
import { DomainError } from './domain-error.js';
import { assertSlug, assertText, hasUnstorableCharacters } from './values.js';

function refusal(check: () => void): { code: string; fields: string[] } | null {
  try {
    check();
    return null;
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const { code, fields } = error as DomainError;
    return { code, fields: fields.map((f) => f.field) };
  }
}

/**
 * Issue 15, reproduction 1: Postgres's jsonb (the event log) cannot hold NUL
 * or an unpaired surrogate, so an event holding one failed at append (500).
 * The domain refuses such text itself, whatever path it came by.
 */
describe('text an event cannot hold', () => {
  const unstorable = ['a\u0000b', '\u0000', 'a\ud800b', 'a\udc00', '\ud83d', 'x\udfff\ud800'];
  const storable = ['plain', 'émoji 😀', '\ud83d\ude00', 'tab\tand\nnewline', 'a\u2028b', '\ufffd'];

  it.each(unstorable)('refuses %j in names and titles (400 naming the field)', (value) => {
    expect(hasUnstorableCharacters(value)).toBe(true);
    expect(refusal(() => assertText('title', value, 200))).toEqual({
      code: 'INPUT.TEXT_CHARACTERS',
      fields: ['title'],
    });
  });

  it.each(storable)('accepts %j', (value) => {
    expect(hasUnstorableCharacters(value)).toBe(false);
    expect(refusal(() => assertText('title', value, 200))).toBeNull();
  });

  it('refuses them in an email too', () => {
    expect(refusal(() => assertEmail('ada\u0000@example.com'))).toEqual({
      code: 'INPUT.TEXT_CHARACTERS',
      fields: ['email'],
    });
    expect(refusal(() => assertEmail('ada@exa\ud800mple.com'))?.fields).toEqual(['email']);
  });
});

/** Issue 15, reproduction 10: `{org}` shaped like a UUID is read as an id, so such a slug is unreachable. */
describe('slugs', () => {
  it('refuses a slug shaped like a UUID, in any case', () => {
    for (const slug of ['3f0c0d1e-8a57-4a8e-9a55-2b6f0e5d9c11', '00000000-0000-0000-0000-000000000000']) {
      expect(refusal(() => assertSlug('slug', slug))).toEqual({ code: 'INPUT.SLUG', fields: ['slug'] });
    }
  });

  it('accepts slugs that only look a little like one', () => {
    for (const slug of ['3f0c0d1e-8a57-4a8e-9a55-2b6f0e5d9c1', 'acme', 'a1b2c3d4-team']) {
      expect(refusal(() => assertSlug('slug', slug))).toBeNull();
    }
  });
});
