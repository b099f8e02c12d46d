/**
 * The Postgres event store's schema. Idempotent: migrations run it once, and
 * running it again changes nothing.
 *
 * Ordering. Every event row records the id of the transaction that wrote it
 * (`transaction_id`, a 64-bit xid8) and a sequence number (`seq`). The log's
 * order is (transaction_id, seq). Sequence numbers alone are not a safe
 * order: they are handed out at INSERT, but transactions commit in any order,
 * so a reader that saw seq 7 could later find seq 6 appear and skip it. A
 * reader here only returns rows whose transaction id is below the xmin of
 * its snapshot: every transaction below xmin has finished, so no row can
 * ever appear before a position a reader has passed. A transaction held open
 * delays readers (they wait for it); it never makes them skip.
 *
 * Concurrency. `streams` holds each stream's last revision; appends move it
 * with a conditional UPDATE (or INSERT for a new stream). Postgres row locks
 * make a concurrent writer wait and then fail its condition, so exactly one of
 * two writers expecting the same revision wins.
 *
 * `stream_name` uses the "C" collation so the btree index serves prefix
 * (LIKE 'org-…%') scans: one tenant's history is read without touching the
 * others'.
 */
export const EVENT_STORE_NOTIFY_CHANNEL = 'eventstore_appended';

/** SQLSTATE raised by eventstore.append when the expected revision does not hold. */
export const WRONG_EXPECTED_VERSION_SQLSTATE = 'ESWEV';

export const EVENT_STORE_SCHEMA_SQL = `
CREATE SCHEMA IF NOT EXISTS eventstore;

CREATE TABLE IF NOT EXISTS eventstore.streams (
  stream_name text COLLATE "C" PRIMARY KEY,
  revision    bigint NOT NULL CHECK (revision >= 0)
);

CREATE TABLE IF NOT EXISTS eventstore.events (
  transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
  seq             bigint      GENERATED ALWAYS AS IDENTITY,
  stream_name     text COLLATE "C" NOT NULL,
  stream_revision bigint      NOT NULL CHECK (stream_revision >= 0),
  event_id        uuid        NOT NULL,
  event_type      text        NOT NULL,
  data            jsonb       NOT NULL,
  metadata        jsonb       NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_id, seq),
  CONSTRAINT events_stream_revision_unique UNIQUE (stream_name, stream_revision),
  CONSTRAINT events_event_id_unique UNIQUE (event_id)
);

-- Appends all events or none, in one round trip. p_expected_kind is one of
-- any | no_stream | stream_exists | exact (then p_expected is the revision).
-- p_events is a JSON array of {eventId, type, data, metadata}.
CREATE OR REPLACE FUNCTION eventstore.append(
  p_stream text,
  p_expected_kind text,
  p_expected bigint,
  p_events jsonb
) RETURNS TABLE (next_revision bigint, transaction_id xid8, last_seq bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  v_count  bigint := jsonb_array_length(p_events);
  v_last   bigint;
  v_actual bigint;
BEGIN
  IF v_count = 0 THEN
    RAISE EXCEPTION 'append needs at least one event' USING ERRCODE = '22023';
  END IF;

  IF p_expected_kind = 'no_stream' THEN
    INSERT INTO eventstore.streams AS s (stream_name, revision) VALUES (p_stream, v_count - 1)
      ON CONFLICT (stream_name) DO NOTHING
      RETURNING s.revision INTO v_last;
  ELSIF p_expected_kind = 'exact' THEN
    UPDATE eventstore.streams AS s SET revision = s.revision + v_count
      WHERE s.stream_name = p_stream AND s.revision = p_expected
      RETURNING s.revision INTO v_last;
  ELSIF p_expected_kind = 'stream_exists' THEN
    UPDATE eventstore.streams AS s SET revision = s.revision + v_count
      WHERE s.stream_name = p_stream
      RETURNING s.revision INTO v_last;
  ELSIF p_expected_kind = 'any' THEN
    INSERT INTO eventstore.streams AS s (stream_name, revision) VALUES (p_stream, v_count - 1)
      ON CONFLICT (stream_name) DO UPDATE SET revision = s.revision + v_count
      RETURNING s.revision INTO v_last;
  ELSE
    RAISE EXCEPTION 'unknown expected revision kind %', p_expected_kind USING ERRCODE = '22023';
  END IF;

  IF v_last IS NULL THEN
    SELECT s.revision INTO v_actual FROM eventstore.streams AS s WHERE s.stream_name = p_stream;
    RAISE EXCEPTION 'wrong expected version for stream %', p_stream
      USING ERRCODE = '${WRONG_EXPECTED_VERSION_SQLSTATE}', DETAIL = coalesce(v_actual, -1)::text;
  END IF;

  RETURN QUERY
  WITH inserted AS (
    INSERT INTO eventstore.events AS e (stream_name, stream_revision, event_id, event_type, data, metadata)
    SELECT p_stream, v_last - v_count + p.ordinality, (p.value->>'eventId')::uuid, p.value->>'type',
           p.value->'data', p.value->'metadata'
      FROM jsonb_array_elements(p_events) WITH ORDINALITY AS p(value, ordinality)
     ORDER BY p.ordinality
    RETURNING e.transaction_id, e.seq
  )
  SELECT v_last, pg_current_xact_id(), max(i.seq) FROM inserted AS i;

  -- Delivered at commit, and only if the transaction commits.
  PERFORM pg_notify('${EVENT_STORE_NOTIFY_CHANNEL}', '');
END
$fn$;
`;
