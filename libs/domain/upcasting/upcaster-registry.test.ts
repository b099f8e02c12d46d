import { UpcasterRegistry } from './upcaster-registry.js';

/**
 * A sample evolution: suppose ChatShared v1 named only a user, and v2 names a
 * subject of either kind and records the previous role. Version 1 events
 * written years ago must still read as version 2.
 */
const v1ToV2 = (data: unknown) => {
  const { userId, role } = data as { userId: string; role: string };
  return { subject: { kind: 'user', id: userId }, role, previousRole: null };
};

describe('UpcasterRegistry', () => {
  const registry = new UpcasterRegistry().register('ChatShared', 1, v1ToV2);

  it('writes new events at the version after the last upcaster', () => {
    expect(registry.currentVersion('ChatShared')).toBe(2);
    expect(registry.currentVersion('ChatRenamed')).toBe(1);
  });

  it('lifts an old payload to the current shape', () => {
    expect(
      registry.upcast({ type: 'ChatShared', schemaVersion: 1, data: { userId: 'u1', role: 'viewer' } }),
    ).toEqual({ subject: { kind: 'user', id: 'u1' }, role: 'viewer', previousRole: null });
  });

  it('leaves current payloads alone', () => {
    const data = { subject: { kind: 'group', id: 'g1' }, role: 'editor', previousRole: 'viewer' };
    expect(registry.upcast({ type: 'ChatShared', schemaVersion: 2, data })).toBe(data);
  });

  it('chains steps in order', () => {
    const chained = new UpcasterRegistry()
      .register('ChatShared', 1, v1ToV2)
      .register('ChatShared', 2, (data) => ({ ...(data as object), note: 'v3' }));
    expect(
      chained.upcast({ type: 'ChatShared', schemaVersion: 1, data: { userId: 'u1', role: 'viewer' } }),
    ).toEqual({
      subject: { kind: 'user', id: 'u1' },
      role: 'viewer',
      previousRole: null,
      note: 'v3',
    });
  });

  it('refuses events from a newer code base rather than misreading them', () => {
    expect(() => registry.upcast({ type: 'ChatShared', schemaVersion: 3, data: {} })).toThrow(/newer/);
  });

  it('refuses a second upcaster for the same step', () => {
    expect(() => new UpcasterRegistry().register('X', 1, v1ToV2).register('X', 1, v1ToV2)).toThrow();
  });
});
