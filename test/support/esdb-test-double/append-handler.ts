import { type handleClientStreamingCall, Metadata, type ServerErrorResponse, status } from '@grpc/grpc-js';
import {
  type AppendOutcome,
  type ExpectedStreamState,
  type InMemoryEventLog,
  type ProposedEvent,
} from './in-memory-log.js';
import { type AppendReq, AppendResp, Empty, streamNameOf, type streamsPb, uuidOf } from './proto.js';

type AppendOptions = streamsPb.AppendReq.Options;

/**
 * `Streams.Append`: the options message first, then one proposed message per
 * event, then the client half-closes. Like the real server, the double
 * collects the whole request before writing anything, so a request that
 * fails part-way (a bad event, a cancelled call) leaves the log untouched.
 */
export function appendHandler(log: InMemoryEventLog): handleClientStreamingCall<AppendReq, AppendResp> {
  return (call, callback) => {
    let options: AppendOptions | undefined;
    const proposed: ProposedEvent[] = [];
    let answered = false;
    const fail = (error: ServerErrorResponse) => {
      if (answered) return;
      answered = true;
      callback(error, null);
    };

    call.on('data', (request: AppendReq) => {
      if (answered) return;
      if (options === undefined) {
        if (!request.hasOptions()) return fail(invalidArgument('an append starts with its options'));
        options = request.getOptions()!;
        return;
      }
      const message = request.getProposedMessage();
      if (message === undefined) {
        return fail(invalidArgument('after its options an append holds only events'));
      }
      try {
        proposed.push(toProposedEvent(message));
      } catch (error) {
        fail(error as ServerErrorResponse);
      }
    });

    call.on('end', () => {
      // A cancelled call may still end its request stream; the client has given up on it.
      if (answered || call.cancelled) return;
      const streamName = streamNameOf(options?.getStreamIdentifier());
      if (options === undefined || streamName === undefined) {
        return fail(invalidArgument('an append needs a stream identifier'));
      }
      const expected = expectedStateOf(options);
      answered = true;
      callback(null, toAppendResp(log.append(streamName, expected, proposed), expected));
    });
  };
}

/** Throws the error to answer with when the message is not a valid event. */
function toProposedEvent(message: streamsPb.AppendReq.ProposedMessage): ProposedEvent {
  const id = uuidOf(message.getId());
  // The real server fails to parse such an id and answers with an error; no event of the request is written.
  if (id === undefined) {
    throw invalidArgument(`event id is not a UUID: ${message.getId()?.getString() ?? '(none)'}`);
  }
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  if (type === undefined) throw missingMetadata('type');
  if (contentType === undefined) throw missingMetadata('content-type');
  return {
    id,
    type,
    contentType,
    data: Uint8Array.from(message.getData_asU8()),
    customMetadata: Uint8Array.from(message.getCustomMetadata_asU8()),
  };
}

function expectedStateOf(options: AppendOptions): ExpectedStreamState {
  if (options.hasRevision()) return { kind: 'revision', revision: Number(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
}

/** Success, or the `wrong_expected_version` answer the client turns into its WrongExpectedVersionError. */
function toAppendResp(outcome: AppendOutcome, expected: ExpectedStreamState): AppendResp {
  const response = new AppendResp();
  if (outcome.ok) {
    const success = new AppendResp.Success();
    if (outcome.currentRevision === -1) success.setNoStream(new Empty());
    else success.setCurrentRevision(String(outcome.currentRevision));
    if (outcome.position === undefined) success.setNoPosition(new Empty());
    else {
      const position = String(outcome.position);
      success.setPosition(new AppendResp.Position().setCommitPosition(position).setPreparePosition(position));
    }
    return response.setSuccess(success);
  }

  const wrong = new AppendResp.WrongExpectedVersion();
  if (outcome.currentRevision === -1) wrong.setCurrentNoStream(new Empty());
  else wrong.setCurrentRevision(String(outcome.currentRevision));
  switch (expected.kind) {
    case 'any':
      wrong.setExpectedAny(new Empty());
      break;
    case 'no_stream':
      wrong.setExpectedNoStream(new Empty());
      break;
    case 'stream_exists':
      wrong.setExpectedStreamExists(new Empty());
      break;
    case 'revision':
      wrong.setExpectedRevision(String(expected.revision));
      break;
    default: {
      const unreachable: never = expected;
      return unreachable;
    }
  }
  return response.setWrongExpectedVersion(wrong);
}

function invalidArgument(details: string): ServerErrorResponse {
  return Object.assign(new Error(details), { code: status.INVALID_ARGUMENT, details });
}

/** Shaped like the server's answer, trailers included: the client reads them to build its error. */
function missingMetadata(property: string): ServerErrorResponse {
  const metadata = new Metadata();
  metadata.set('exception', 'missing-required-metadata-property');
  metadata.set('required-metadata-properties', property);
  return Object.assign(invalidArgument(`required metadata property missing: ${property}`), { metadata });
}
