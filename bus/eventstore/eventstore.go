// Package eventstore stores entities as streams of events in a module's
// SQLite file.
//
// Its events are the module's outbox rows that belong to a stream: appending
// an event is one insert that is at once the entity's new state and the
// message the relay publishes. The store also acts as a broker: appended
// events reach the bus, with the same at-least-once delivery and topic
// positions as any outbox message. Snapshots, every so many events, spare
// long streams a full replay.
package eventstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"sagalab/bus"
	"sagalab/storage"
)

// Migrations give the outbox its stream columns and add the snapshots
// table. A module appends them to its migrations after bus.Migrations.
var Migrations = []storage.Migration{{Name: "event store", SQL: `
ALTER TABLE outbox ADD COLUMN stream_id TEXT;
ALTER TABLE outbox ADD COLUMN stream_version INTEGER;
CREATE UNIQUE INDEX outbox_stream ON outbox (stream_id, stream_version) WHERE stream_id IS NOT NULL;
CREATE TABLE snapshots (
	stream_id      TEXT    PRIMARY KEY,
	version        INTEGER NOT NULL,
	schema_version INTEGER NOT NULL,
	data           BLOB    NOT NULL,
	created_at     INTEGER NOT NULL
);`}}

// Event is an event as stored.
type Event struct {
	Stream  string
	Version int64
	// Position is the event's place among all of the store's messages.
	Position      int64
	Type          string
	Data          json.RawMessage
	MessageID     string
	CorrelationID string
	CausationID   string
	At            time.Time
}

// NewEvent is an event to append.
type NewEvent struct {
	Type string
	Data any
	// CorrelationID and CausationID are the message metadata of the event:
	// the saga it belongs to and the message that caused it.
	CorrelationID string
	CausationID   string
	// Effect, for an event not caused by a handled message, says what the
	// transaction did (see bus.Message.Effect).
	Effect string
}

// ConcurrencyError is returned by Append when the stream has moved on since
// the caller loaded it: the caller loads again and retries its command.
type ConcurrencyError struct {
	Stream           string
	Expected, Actual int64
}

func (e *ConcurrencyError) Error() string {
	return fmt.Sprintf("stream %s is at version %d, not %d: load it again and retry", e.Stream, e.Actual, e.Expected)
}

// Store is the event store of one module.
type Store struct {
	db    *storage.DB
	out   *bus.Outbox
	topic string
}

// NewStore returns the store kept in db, whose events the outbox out publishes
// on topic.
func NewStore(db *storage.DB, out *bus.Outbox, topic string) *Store {
	out.Keep(topic) // the events are the state: retention must not prune them
	return &Store{db: db, out: out, topic: topic}
}

// Head returns the stream's current version and the message id of its last
// event ("" and 0 for a new stream). Message ids are never reused, so a
// cached state that matches both is current, even if a transaction that
// appended to the stream was rolled back since.
// In a transaction of the store's outbox it costs no query once that
// outbox has written or read the stream's head (see bus.Outbox.StreamHead).
func (s *Store) Head(ctx context.Context, q storage.Querier, stream string) (int64, string, error) {
	return s.out.StreamHead(ctx, q, stream)
}

// Version returns the stream's current version (0 for a new stream).
func (s *Store) Version(ctx context.Context, q storage.Querier, stream string) (int64, error) {
	v, _, err := s.out.StreamHead(ctx, q, stream)
	return v, err
}

// Append adds events to stream inside tx, if the stream is still at
// expectedVersion; otherwise it returns a *ConcurrencyError. The events
// are messages tx emits to the store's outbox. It returns the
// events as stored, with their versions.
func (s *Store) Append(ctx context.Context, tx *bus.Tx, stream string, expectedVersion int64, events ...NewEvent) ([]Event, error) {
	actual, err := s.Version(ctx, tx, stream)
	if err != nil {
		return nil, err
	}
	if actual != expectedVersion {
		return nil, &ConcurrencyError{Stream: stream, Expected: expectedVersion, Actual: actual}
	}
	stored := make([]Event, len(events))
	msgs := make([]bus.Message, len(events))
	now := time.Now()
	for i, e := range events {
		data, err := json.Marshal(e.Data)
		if err != nil {
			return nil, fmt.Errorf("encode %s for stream %s: %w", e.Type, stream, err)
		}
		v := expectedVersion + int64(i) + 1
		id := s.out.NewID()
		msgs[i] = bus.Message{ID: id, Topic: s.topic, Type: e.Type, CorrelationID: e.CorrelationID,
			CausationID: e.CausationID, Payload: json.RawMessage(data), Stream: stream, Version: v, Effect: e.Effect}
		stored[i] = Event{Stream: stream, Version: v, Type: e.Type, Data: data, MessageID: id,
			CorrelationID: e.CorrelationID, CausationID: e.CausationID, At: now}
	}
	if err := tx.Emit(ctx, msgs...); err != nil {
		return nil, fmt.Errorf("append to stream %s: %w", stream, err)
	}
	return stored, nil
}

const eventColumns = `stream_id, stream_version, seq, type, payload, message_id, correlation_id, causation_id, created_at`

func scanEvents(rows *sql.Rows) ([]Event, error) {
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var data []byte
		var at int64
		if err := rows.Scan(&e.Stream, &e.Version, &e.Position, &e.Type, &data, &e.MessageID, &e.CorrelationID,
			&e.CausationID, &at); err != nil {
			return nil, fmt.Errorf("read events: %w", err)
		}
		e.Data, e.At = data, time.Unix(0, at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Load returns the events of stream after version after and up to version
// upto (0: to the end), oldest first.
func (s *Store) Load(ctx context.Context, q storage.Querier, stream string, after, upto int64) ([]Event, error) {
	if upto <= 0 {
		upto = 1<<63 - 1
	}
	rows, err := q.QueryContext(ctx, `SELECT `+eventColumns+` FROM outbox
		WHERE stream_id = ? AND stream_version > ? AND stream_version <= ? ORDER BY stream_version`, stream, after, upto)
	if err != nil {
		return nil, fmt.Errorf("load stream %s: %w", stream, err)
	}
	return scanEvents(rows)
}

// ReadAll returns up to limit events of every stream after global position
// after, in the order they were appended: for catching up and rebuilding.
func (s *Store) ReadAll(ctx context.Context, after int64, limit int) ([]Event, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+eventColumns+` FROM outbox
		WHERE seq > ? AND stream_id IS NOT NULL ORDER BY seq LIMIT ?`, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read all events: %w", err)
	}
	return scanEvents(rows)
}

// Snapshot is an entity's state as of a version of its stream.
type Snapshot struct {
	Stream  string
	Version int64
	// Schema is the version of the state's encoding: a snapshot of another
	// schema is ignored and the stream replayed.
	Schema int
	Data   json.RawMessage
	At     time.Time
}

// SaveSnapshot stores the state of stream at version, replacing an older
// snapshot.
func (s *Store) SaveSnapshot(ctx context.Context, tx storage.Execer, stream string, version int64, schema int, state any) error {
	data, err := json.Marshal(state)
	if err != nil {
		return fmt.Errorf("encode snapshot of %s: %w", stream, err)
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO snapshots (stream_id, version, schema_version, data, created_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version,
		schema_version = excluded.schema_version, data = excluded.data, created_at = excluded.created_at
		WHERE excluded.version >= snapshots.version`, stream, version, schema, data, time.Now().UnixNano())
	if err != nil {
		return fmt.Errorf("save snapshot of %s: %w", stream, err)
	}
	return nil
}

// LatestSnapshot returns the newest snapshot of stream, if any.
func (s *Store) LatestSnapshot(ctx context.Context, q storage.Querier, stream string) (Snapshot, bool, error) {
	var sn Snapshot
	var data []byte
	var at int64
	err := q.QueryRowContext(ctx, `SELECT stream_id, version, schema_version, data, created_at FROM snapshots
		WHERE stream_id = ?`, stream).Scan(&sn.Stream, &sn.Version, &sn.Schema, &data, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return Snapshot{}, false, nil
	}
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("load snapshot of %s: %w", stream, err)
	}
	sn.Data, sn.At = data, time.Unix(0, at)
	return sn, true, nil
}

// Stats describe the store.
type Stats struct {
	Streams, Events, Snapshots int64
	LargestStream              string
	LargestStreamEvents        int64
}

// Stats counts streams, events and snapshots and finds the largest stream.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	r := s.db.Reader()
	err := r.QueryRowContext(ctx, `SELECT count(DISTINCT stream_id), count(*) FROM outbox WHERE stream_id IS NOT NULL`).
		Scan(&st.Streams, &st.Events)
	if err == nil {
		err = r.QueryRowContext(ctx, `SELECT count(*) FROM snapshots`).Scan(&st.Snapshots)
	}
	if err == nil && st.Events > 0 {
		err = r.QueryRowContext(ctx, `SELECT stream_id, count(*) AS n FROM outbox WHERE stream_id IS NOT NULL
			GROUP BY stream_id ORDER BY n DESC LIMIT 1`).Scan(&st.LargestStream, &st.LargestStreamEvents)
	}
	if err != nil {
		return Stats{}, fmt.Errorf("event store stats: %w", err)
	}
	return st, nil
}
