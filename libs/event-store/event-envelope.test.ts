import { describe, expect, it } from '@jest/globals';
import { eventMetadataOf } from './event-envelope.js';

const metadata = {
  eventId: '3f1c6f0e-8a3a-4c1e-9a49-6a2f4f9f3b10',
  orgId: '0b7c9d1e-2f3a-4b5c-8d6e-7f8091a2b3c4',
  actorId: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  correlationId: 'c-1',
  causationId: 'c-1',
  occurredAt: '2026-12-05T08:00:00.000Z',
  schemaVersion: 2,
};

describe('eventMetadataOf', () => {
  it('keeps well-formed metadata as it is, with or without an org, with a null actor', () => {
    expect(eventMetadataOf(metadata, 'E')).toEqual(metadata);
    const { orgId: _, ...userEvent } = metadata;
    expect(eventMetadataOf({ ...userEvent, actorId: null }, 'E')).toEqual({ ...userEvent, actorId: null });
    expect('orgId' in eventMetadataOf(userEvent, 'E')).toBe(false);
  });

  it('refuses metadata that is not Tenantry’s, naming the field', () => {
    const { correlationId: _, ...missing } = metadata;
    expect(() => eventMetadataOf(missing, 'ChatShared at s@3')).toThrow(
      'metadata of ChatShared at s@3: correlationId is missing or of the wrong type',
    );
    expect(() => eventMetadataOf({ ...metadata, schemaVersion: '2' }, 'E')).toThrow(/schemaVersion/);
    expect(() => eventMetadataOf({ ...metadata, orgId: 7 }, 'E')).toThrow(/orgId/);
    expect(() => eventMetadataOf({ ...metadata, actorId: undefined }, 'E')).toThrow(/actorId/);
    expect(() => eventMetadataOf('{}', 'E')).toThrow(/the whole/);
    expect(() => eventMetadataOf(null, 'E')).toThrow(/the whole/);
  });
});
