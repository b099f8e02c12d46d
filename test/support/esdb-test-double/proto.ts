/**
 * EventStoreDB's Streams protocol, as generated code shipped inside
 * `@eventstore/db-client` (it ships no .proto files). The test double reuses
 * the very message classes and service definition the client serialises
 * with, so both sides of the socket agree on the wire format by construction.
 *
 * The generated files are CommonJS that assign to `exports` in ways Node's
 * ESM named-export detection cannot see: default imports are the portable way.
 */
import sharedPb from '@eventstore/db-client/generated/shared_pb.js';
import streamsGrpc from '@eventstore/db-client/generated/streams_grpc_pb.js';
import streamsPb from '@eventstore/db-client/generated/streams_pb.js';

export type { sharedPb, streamsPb };

export const { StreamsService } = streamsGrpc;
export const { AppendReq, AppendResp, ReadReq, ReadResp } = streamsPb;
export const { Empty, StreamIdentifier, UUID } = sharedPb;

export type AppendReq = streamsPb.AppendReq;
export type AppendResp = streamsPb.AppendResp;
export type ReadReq = streamsPb.ReadReq;
export type ReadResp = streamsPb.ReadResp;
export type ReadOptions = streamsPb.ReadReq.Options;
export type FilterOptions = streamsPb.ReadReq.Options.FilterOptions;
export type ProtoUuid = sharedPb.UUID;
export type ProtoStreamIdentifier = sharedPb.StreamIdentifier;

/** `ReadReq.Options.ReadDirection.Backwards` on the wire. */
export const READ_BACKWARDS = 1;

export function streamNameOf(identifier: ProtoStreamIdentifier | undefined): string | undefined {
  return identifier === undefined ? undefined : Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
}

export function streamIdentifierOf(streamName: string): ProtoStreamIdentifier {
  return new StreamIdentifier().setStreamName(Uint8Array.from(Buffer.from(streamName, 'utf8')));
}

const UUID_PATTERN = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/**
 * The event id a client sent, as a lower-case dashed UUID; undefined when it
 * is not a UUID. Clients send either the string form or two signed 64-bit
 * halves ("structured"), depending on their UUID option.
 */
export function uuidOf(id: ProtoUuid | undefined): string | undefined {
  if (id === undefined) return undefined;
  if (id.hasStructured()) {
    const structured = id.getStructured()!;
    const hex = [structured.getMostSignificantBits(), structured.getLeastSignificantBits()]
      .map((half) => BigInt.asUintN(64, BigInt(half)).toString(16).padStart(16, '0'))
      .join('');
    return dashed(hex);
  }
  const text = id.getString();
  return UUID_PATTERN.test(text) ? dashed(text.replaceAll('-', '').toLowerCase()) : undefined;
}

export function protoUuidOf(id: string, structured: boolean): ProtoUuid {
  if (!structured) return new UUID().setString(id);
  const hex = id.replaceAll('-', '');
  const half = (from: number) => BigInt.asIntN(64, BigInt(`0x${hex.slice(from, from + 16)}`)).toString();
  return new UUID().setStructured(
    new UUID.Structured().setMostSignificantBits(half(0)).setLeastSignificantBits(half(16)),
  );
}

function dashed(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
