import { randomUUID } from 'node:crypto';
import { type StoredEvent } from './in-memory-log.js';
import { protoUuidOf, ReadResp, streamIdentifierOf } from './proto.js';

/** The messages a `Streams.Read` call answers with, built the way the server fills them. */
export const readResponses = {
  event(event: StoredEvent, structuredIds: boolean): ReadResp {
    const position = String(event.position);
    const recorded = new ReadResp.ReadEvent.RecordedEvent()
      .setId(protoUuidOf(event.id, structuredIds))
      .setStreamIdentifier(streamIdentifierOf(event.streamName))
      .setStreamRevision(String(event.revision))
      .setCommitPosition(position)
      .setPreparePosition(position)
      .setData(event.data)
      .setCustomMetadata(event.customMetadata);
    recorded
      .getMetadataMap()
      .set('type', event.type)
      .set('content-type', event.contentType)
      .set('created', String(event.createdTicks));
    return new ReadResp().setEvent(new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(position));
  },

  streamNotFound(streamName: string): ReadResp {
    return new ReadResp().setStreamNotFound(
      new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifierOf(streamName)),
    );
  },

  confirmation(): ReadResp {
    return new ReadResp().setConfirmation(
      new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID()),
    );
  },

  checkpoint(position: bigint): ReadResp {
    const value = String(position);
    return new ReadResp().setCheckpoint(
      new ReadResp.Checkpoint().setCommitPosition(value).setPreparePosition(value),
    );
  },

  caughtUp(): ReadResp {
    return new ReadResp().setCaughtUp(new ReadResp.CaughtUp());
  },
};
