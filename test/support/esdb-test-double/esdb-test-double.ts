import { randomUUID } from 'node:crypto';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { appendHandler } from './append-handler.js';
import { InMemoryEventLog } from './in-memory-log.js';
import { StreamsService } from './proto.js';
import { readHandler } from './read-handler.js';

export interface EventStoreDbTestDoubleOptions {
  /**
   * Record, before anything else, the kind of system events a fresh server
   * already holds (`$settings`, `$stats-…`), so readers of `$all` must skip
   * them as they would against a real one. Defaults to true.
   */
  readonly seedSystemEvents?: boolean;
}

/**
 * A TEST DOUBLE of EventStoreDB for tests on machines that cannot run the
 * real server: an in-process gRPC server speaking enough of the Streams
 * protocol (`Append`, `Read`) for the real `@eventstore/db-client` to drive
 * it over a real socket. Events live in memory and vanish on `stop()`.
 *
 * Left out on purpose: `BatchAppend`, `Delete`, `Tombstone`, stream
 * subscriptions, persistent subscriptions, projections, users, gossip,
 * idempotent re-appends of the same event ids, stream metadata and ACLs, and
 * TLS. Unregistered methods answer UNIMPLEMENTED; `ServerFeatures` included,
 * which tells the client to fall back from `BatchAppend` to `Append`.
 */
export class EventStoreDbTestDouble {
  private constructor(
    private readonly server: Server,
    private readonly stopping: AbortController,
    /** The double's storage, for assertions no client could make. */
    readonly log: InMemoryEventLog,
    readonly port: number,
  ) {}

  /** Where the client connects: a single node, no TLS, so no gossip discovery either. */
  get connectionString(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  static async start(options: EventStoreDbTestDoubleOptions = {}): Promise<EventStoreDbTestDouble> {
    const log = new InMemoryEventLog();
    if (options.seedSystemEvents ?? true) seedSystemEvents(log);
    const stopping = new AbortController();
    const server = new Server();
    server.addService(StreamsService, {
      read: readHandler(log, stopping.signal),
      append: appendHandler(log),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) =>
        error ? reject(error) : resolve(boundPort),
      ),
    );
    return new EventStoreDbTestDouble(server, stopping, log, port);
  }

  /** Drops every open call, live subscriptions included, as a server going away would. */
  async stop(): Promise<void> {
    this.stopping.abort();
    this.server.forceShutdown();
  }
}

function seedSystemEvents(log: InMemoryEventLog): void {
  const json = (value: unknown) => Uint8Array.from(Buffer.from(JSON.stringify(value), 'utf8'));
  const systemEvent = (type: string, data: unknown) => ({
    id: randomUUID(),
    type,
    contentType: 'application/json',
    data: json(data),
    customMetadata: new Uint8Array(),
  });
  log.append('$settings', { kind: 'any' }, [
    systemEvent('$settings', { $userStreamAcl: {}, $systemStreamAcl: {} }),
  ]);
  log.append('$stats-127.0.0.1:2113', { kind: 'any' }, [
    systemEvent('$statsCollected', { 'proc-id': process.pid }),
  ]);
}
