package bus

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"sagalab/storage"
)

// Outbox is one module's outgoing messages: a Tx emits them in the module's
// local transaction, and the module's relay (relay.go) publishes them, in
// order, once that transaction has committed.
type Outbox struct {
	source string
	db     *storage.DB
	newID  func() string
	now    func() time.Time
	relay  *relay
	heads  heads
}

// heads keeps the last position the outbox's transactions wrote on each
// topic, and the last version and message id on each event stream, so
// that the next message needs no query. It holds while the file's
// rollback count (storage.Tx.Rollbacks) is the one it was filled under: a
// rollback may have undone any of it, and empties it.
type heads struct {
	mu        sync.Mutex
	rollbacks uint64
	last      map[string]int64
	streams   map[string]streamHead
}

// streamHead is an event stream's last version and the id of its message.
type streamHead struct {
	version int64
	id      string
}

// next returns the position after topic's last one, if known.
func (h *heads) next(tx *storage.Tx, topic string) (int64, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.check(tx)
	n, ok := h.last[topic]
	return n + 1, ok
}

// wrote notes that tx wrote m at position n of its topic (and, for an
// event, version m.Version of its stream, with message id id).
func (h *heads) wrote(tx *storage.Tx, m Message, n int64, id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.check(tx)
	h.last[m.Topic] = n
	if m.Stream != "" {
		h.streams[m.Stream] = streamHead{version: m.Version, id: id}
	}
}

// stream returns stream's head, if known.
func (h *heads) stream(tx *storage.Tx, stream string) (streamHead, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.check(tx)
	s, ok := h.streams[stream]
	return s, ok
}

// setStream notes stream's head as tx read it.
func (h *heads) setStream(tx *storage.Tx, stream string, s streamHead) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.check(tx)
	h.streams[stream] = s
}

// check empties the heads if the file saw a rollback since they were
// filled; h.mu is held.
func (h *heads) check(tx *storage.Tx) {
	if r := tx.Rollbacks(); r != h.rollbacks || h.last == nil {
		h.rollbacks, h.last, h.streams = r, map[string]int64{}, map[string]streamHead{}
	}
}

// StreamHead returns the version of stream's last message and its id (0
// and "" for a stream with none). Read in a transaction on the outbox
// (a *Tx of its own), it is served from memory when a transaction since
// the last rollback wrote or read it; read elsewhere, it is a query.
func (o *Outbox) StreamHead(ctx context.Context, q storage.Querier, stream string) (int64, string, error) {
	tx, mine := q.(*Tx)
	mine = mine && tx.out == o
	if mine {
		if s, ok := o.heads.stream(tx.Tx, stream); ok {
			return s.version, s.id, nil
		}
	}
	var s streamHead
	err := q.QueryRowContext(ctx, `SELECT stream_version, message_id FROM outbox WHERE stream_id = ?
		ORDER BY stream_version DESC LIMIT 1`, stream).Scan(&s.version, &s.id)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", fmt.Errorf("head of stream %s: %w", stream, err)
	}
	if mine {
		o.heads.setStream(tx.Tx, stream, s)
	}
	return s.version, s.id, nil
}

// Source is the name of the module that owns the outbox.
func (o *Outbox) Source() string { return o.source }

// Write runs fn in one local transaction on the module's database: an
// initiating write (a request, a timeout), whose messages fn emits through
// tx. The relay is woken once it commits.
func (o *Outbox) Write(ctx context.Context, fn func(tx *Tx) error) error {
	return o.db.WriteTx(ctx, func(st *storage.Tx) error { return fn(&Tx{Tx: st, out: o}) })
}

// WriteRepeatable is Write for an fn that may run more than once (see
// storage.DB.WriteRepeatable): all its effects are on tx, and what it hands
// back to its caller it sets anew on each run. Such calls share a group
// commit without a savepoint each.
func (o *Outbox) WriteRepeatable(ctx context.Context, fn func(tx *Tx) error) error {
	return o.db.WriteRepeatable(ctx, func(st *storage.Tx) error { return fn(&Tx{Tx: st, out: o}) })
}

// write inserts msgs into the outbox inside tx, created at, and returns
// where each went. The connection keeps the prepared inserts (storage's
// statement cache).
func (o *Outbox) write(ctx context.Context, tx *storage.Tx, at time.Time, msgs ...Message) ([]written, error) {
	out := make([]written, 0, len(msgs))
	for _, m := range msgs {
		payload, err := json.Marshal(m.Payload)
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", m.Type, err)
		}
		id := m.ID
		if id == "" {
			id = o.newID()
		}
		e := written{correlationID: m.CorrelationID, typ: m.Type, pos: Position{Topic: m.Topic}}
		var known bool
		if e.pos.N, known = o.heads.next(tx, m.Topic); !known {
			if err := tx.QueryRowContext(ctx, nextPosition, m.Topic).Scan(&e.pos.N); err != nil {
				return nil, fmt.Errorf("write %s to the %s outbox: %w", m.Type, o.source, err)
			}
		}
		args := []any{id, m.Topic, e.pos.N, m.Type, m.CorrelationID, m.CausationID, m.ReplyTo, payload, at.UnixNano(), m.Effect}
		query := insertPlain
		if m.Stream != "" {
			query, args = insertStreamed, append(args, m.Stream, m.Version)
		}
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return nil, fmt.Errorf("write %s to the %s outbox: %w", m.Type, o.source, err)
		}
		seq, err := res.LastInsertId()
		if err != nil {
			return nil, fmt.Errorf("write %s to the %s outbox: %w", m.Type, o.source, err)
		}
		o.heads.wrote(tx, m, e.pos.N, id)
		e.row = Envelope{ID: id, Type: m.Type, Source: o.source, Topic: m.Topic, CorrelationID: m.CorrelationID,
			CausationID: m.CausationID, ReplyTo: m.ReplyTo, Seq: seq, Position: e.pos.N,
			CreatedAt: time.Unix(0, at.UnixNano()), Payload: payload}
		out = append(out, e)
	}
	return out, nil
}

// written is where a transaction wrote a message, and the row it wrote.
type written struct {
	correlationID, typ string
	pos                Position
	row                Envelope
}

// A message gets the next position on its topic, read in the transaction
// that inserts it, so positions have no gaps even when transactions (or a
// batch-mate's savepoint) roll back. Reading it in the insert itself, in a
// subquery, with RETURNING to learn it, cost SQLite twice the time of the
// two statements (BenchmarkOutboxWrite). Once read, the outbox keeps it
// (heads) until a rollback on the file.
const (
	nextPosition = `SELECT coalesce(max(position), 0) + 1 FROM outbox WHERE topic = ?`
	insertPlain  = `INSERT INTO outbox
		(message_id, topic, position, type, correlation_id, causation_id, reply_to, payload, created_at, effect)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertStreamed = `INSERT INTO outbox
		(message_id, topic, position, type, correlation_id, causation_id, reply_to, payload, created_at, effect,
		stream_id, stream_version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// NewID makes a message id, as Write does for a message without one.
func (o *Outbox) NewID() string { return o.newID() }

// PositionOf returns the position of the newest message of type typ with
// correlationID, read inside tx: a write reports it so that a reader can wait
// for a view to catch up with it. A message tx itself emitted needs no
// query.
func (o *Outbox) PositionOf(ctx context.Context, tx storage.Querier, correlationID, typ string) (Position, error) {
	if t, ok := tx.(*Tx); ok && t.out == o {
		for i := len(t.positions) - 1; i >= 0; i-- {
			if e := t.positions[i]; e.correlationID == correlationID && e.typ == typ {
				return e.pos, nil
			}
		}
	}
	var p Position
	err := tx.QueryRowContext(ctx, `SELECT topic, position FROM outbox WHERE correlation_id = ? AND type = ?
		ORDER BY seq DESC LIMIT 1`, correlationID, typ).Scan(&p.Topic, &p.N)
	if err != nil {
		return Position{}, fmt.Errorf("position of %s %s: %w", typ, correlationID, err)
	}
	return p, nil
}

// Head returns the position of the last message written on each of topics
// (0 for none yet).
func (o *Outbox) Head(ctx context.Context, topics ...string) ([]Position, error) {
	out := make([]Position, len(topics))
	for i, t := range topics {
		out[i].Topic = t
		err := o.db.Reader().QueryRowContext(ctx, `SELECT coalesce(max(position), 0) FROM outbox WHERE topic = ?`, t).Scan(&out[i].N)
		if err != nil {
			return nil, fmt.Errorf("head of %s: %w", t, err)
		}
	}
	return out, nil
}

// Keep exempts topic from the retention setting: an event store's topic is
// the state of its entities, and is kept whole.
func (o *Outbox) Keep(topic string) { o.relay.keep(topic) }

// Prune applies the retention setting now.
func (o *Outbox) Prune(ctx context.Context) error { return o.relay.pruneNow(ctx) }
