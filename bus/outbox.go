package bus

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"sagalab/storage"
)

// Outbox is one module's outgoing messages. Write adds messages inside the
// module's local transaction; the relay publishes them, in order, once that
// transaction has committed.
type Outbox struct {
	source string
	db     *storage.DB
	bus    *Bus
	newID  func() string
	now    func() time.Time
	wake   chan struct{}
	held   atomic.Bool // see Bus.Hold

	mu        sync.Mutex
	published int64 // highest seq handed to the pub/sub
	delivered int64 // every seq up to here was handled by all consumers
	saved     int64 // delivered as last written to outbox_relay
	savedAt   time.Time
	prunedAt  time.Time
	kept      []string    // topics retention never prunes
	inOrder   []*inFlight // pending rows in publish (seq) order
	scannedAt time.Time   // last look for stale messages
	pending   map[string]*inFlight

	// scans counts the looks for stale messages; redelivered counts the
	// messages they published again.
	scans, redelivered atomic.Int64
}

type inFlight struct {
	seq       int64
	topic     string
	msg       *message.Message
	waiting   map[string]bool // consumers that have not handled it yet
	published time.Time
}

// Source is the name of the module that owns the outbox.
func (o *Outbox) Source() string { return o.source }

// Write runs fn in one local transaction on the module's database: an
// initiating write (a request, a timeout), whose messages fn emits through
// tx. The relay is woken once it commits.
func (o *Outbox) Write(ctx context.Context, fn func(tx *Tx) error) error {
	return o.db.WriteTx(ctx, func(st *storage.Tx) error { return fn(&Tx{Tx: st, out: o}) })
}

// write inserts msgs into the outbox inside tx.
func (o *Outbox) write(ctx context.Context, tx *storage.Tx, msgs ...Message) error {
	var plain, streamed *sql.Stmt // prepared once when writing several
	defer func() {
		for _, st := range []*sql.Stmt{plain, streamed} {
			if st != nil {
				st.Close()
			}
		}
	}()
	for _, m := range msgs {
		payload, err := json.Marshal(m.Payload)
		if err != nil {
			return fmt.Errorf("encode %s: %w", m.Type, err)
		}
		id := m.ID
		if id == "" {
			id = o.newID()
		}
		args := []any{id, m.Topic, m.Topic, m.Type, m.CorrelationID, m.CausationID, m.ReplyTo, payload, o.now().UnixNano(), m.Effect}
		query, stmt := insertPlain, &plain
		if m.Stream != "" {
			query, stmt, args = insertStreamed, &streamed, append(args, m.Stream, m.Version)
		}
		if len(msgs) > 1 && *stmt == nil {
			if *stmt, err = tx.PrepareContext(ctx, query); err != nil {
				return fmt.Errorf("write to the %s outbox: %w", o.source, err)
			}
		}
		if *stmt != nil {
			_, err = (*stmt).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, query, args...)
		}
		if err != nil {
			return fmt.Errorf("write %s to the %s outbox: %w", m.Type, o.source, err)
		}
	}
	return nil
}

// The outbox inserts: a message gets the next position on its topic in the
// same statement, so positions have no gaps even when transactions roll
// back.
const (
	insertPlain = `INSERT INTO outbox
		(message_id, topic, position, type, correlation_id, causation_id, reply_to, payload, created_at, effect)
		VALUES (?, ?, (SELECT coalesce(max(position), 0) + 1 FROM outbox WHERE topic = ?), ?, ?, ?, ?, ?, ?, ?)`
	insertStreamed = `INSERT INTO outbox
		(message_id, topic, position, type, correlation_id, causation_id, reply_to, payload, created_at, effect,
		stream_id, stream_version)
		VALUES (?, ?, (SELECT coalesce(max(position), 0) + 1 FROM outbox WHERE topic = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// NewID makes a message id, as Write does for a message without one.
func (o *Outbox) NewID() string { return o.newID() }

// PositionOf returns the position of the newest message of type typ with
// correlationID, read inside tx: a write reports it so that a reader can wait
// for a view to catch up with it.
func (o *Outbox) PositionOf(ctx context.Context, tx storage.Querier, correlationID, typ string) (Position, error) {
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

// notify wakes the relay after a transaction that wrote to the outbox has
// committed. It never blocks.
func (o *Outbox) notify() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// run publishes committed rows in sequence order until ctx ends.
func (o *Outbox) run(ctx context.Context, log *slog.Logger) {
	tick := time.NewTicker(o.bus.cfg.PollInterval)
	defer tick.Stop()
	for {
		if !o.held.Load() {
			o.relayOnce(ctx, log)
		}
		select {
		case <-ctx.Done():
			return
		case <-o.wake:
		case <-tick.C:
		}
	}
}

// relayOnce publishes what is new, republishes what is stale and saves the
// relay's position.
func (o *Outbox) relayOnce(ctx context.Context, log *slog.Logger) {
	if err := o.publishBatch(ctx); err != nil && ctx.Err() == nil {
		log.Error("outbox relay", "source", o.source, "error", err)
	}
	o.redeliverStale()
	if err := o.saveProgress(ctx, false); err != nil && ctx.Err() == nil {
		log.Error("outbox relay", "source", o.source, "error", err)
	}
	if err := o.prune(ctx); err != nil && ctx.Err() == nil {
		log.Error("outbox retention", "source", o.source, "error", err)
	}
}

// pruneEvery is how often a relay applies the retention setting.
const pruneEvery = time.Minute

// prune deletes the delivered messages older than the retention setting,
// keeping the newest message of each topic so positions carry on from it.
func (o *Outbox) prune(ctx context.Context) error {
	if o.bus.cfg.Retention <= 0 || time.Since(o.prunedAt) < pruneEvery {
		return nil
	}
	o.prunedAt = time.Now()
	return o.Prune(ctx)
}

// Keep exempts topic from the retention setting: an event store's topic is
// the state of its entities, and is kept whole.
func (o *Outbox) Keep(topic string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !slices.Contains(o.kept, topic) {
		o.kept = append(o.kept, topic)
	}
}

// Prune applies the retention setting now.
func (o *Outbox) Prune(ctx context.Context) error {
	retention := o.bus.cfg.Retention
	if retention <= 0 {
		return nil
	}
	o.mu.Lock()
	delivered := o.delivered // handled by every consumer
	kept, _ := json.Marshal(append([]string{}, o.kept...))
	o.mu.Unlock()
	return o.db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq <= ? AND created_at < ?
			AND topic NOT IN (SELECT value FROM json_each(?))
			AND seq NOT IN (SELECT max(seq) FROM outbox GROUP BY topic)`,
			delivered, o.now().Add(-retention).UnixNano(), string(kept))
		return err
	})
}

const relayBatch = 512

func (o *Outbox) loadProgress(ctx context.Context) error {
	var seq int64
	if err := o.db.Reader().QueryRowContext(ctx, `SELECT delivered_seq FROM outbox_relay`).Scan(&seq); err != nil {
		return fmt.Errorf("read the %s relay position: %w", o.source, err)
	}
	o.mu.Lock()
	o.published, o.delivered, o.saved = seq, seq, seq
	o.mu.Unlock()
	return nil
}

// readRows returns up to limit committed rows after seq after.
func (o *Outbox) readRows(ctx context.Context, after int64, limit int) ([]Envelope, error) {
	return queryEnvelopes(ctx, o.db, o.source, `seq > ? ORDER BY seq LIMIT ?`, after, limit)
}

// queryEnvelopes reads the outbox rows of module source in db that where
// selects.
func queryEnvelopes(ctx context.Context, db *storage.DB, source, where string, args ...any) ([]Envelope, error) {
	rows, err := db.Reader().QueryContext(ctx, `SELECT seq, message_id, topic, position, type, correlation_id,
		causation_id, reply_to, payload, created_at FROM outbox WHERE `+where, args...)
	if err != nil {
		return nil, fmt.Errorf("read the %s outbox: %w", source, err)
	}
	defer rows.Close()
	var out []Envelope
	for rows.Next() {
		e := Envelope{Source: source}
		var created int64
		var payload []byte
		if err := rows.Scan(&e.Seq, &e.ID, &e.Topic, &e.Position, &e.Type, &e.CorrelationID, &e.CausationID,
			&e.ReplyTo, &payload, &created); err != nil {
			return nil, fmt.Errorf("read the %s outbox: %w", source, err)
		}
		e.Payload, e.CreatedAt = payload, time.Unix(0, created)
		out = append(out, e)
	}
	return out, rows.Err()
}

// toMessage makes the Watermill message that carries e.
func toMessage(e Envelope) *message.Message {
	msg := message.NewMessage(e.ID, []byte(e.Payload))
	msg.Metadata.Set(MetaType, e.Type)
	msg.Metadata.Set(MetaSource, e.Source)
	msg.Metadata.Set(MetaCorrelationID, e.CorrelationID)
	msg.Metadata.Set(MetaCausationID, e.CausationID)
	if e.ReplyTo != "" {
		msg.Metadata.Set(MetaReplyTo, e.ReplyTo)
	}
	msg.Metadata.Set(MetaSeq, strconv.FormatInt(e.Seq, 10))
	msg.Metadata.Set(MetaPosition, strconv.FormatInt(e.Position, 10))
	msg.Metadata.Set(MetaCreatedAt, strconv.FormatInt(e.CreatedAt.UnixNano(), 10))
	return msg
}

// markPublished records that the rows up to e were handed out, and that e
// awaits its topic's consumers. It reports whether e has any consumer.
func (o *Outbox) markPublished(e Envelope, msg *message.Message, now time.Time) bool {
	f := &inFlight{seq: e.Seq, topic: e.Topic, msg: msg, waiting: o.bus.consumersOf(e.Topic), published: now}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.published = e.Seq
	if len(f.waiting) > 0 {
		o.pending[e.ID] = f
		o.inOrder = append(o.inOrder, f)
	}
	o.advanceLocked()
	return len(f.waiting) > 0
}

func (o *Outbox) publishBatch(ctx context.Context) error {
	for {
		o.mu.Lock()
		from := o.published
		o.mu.Unlock()
		batch, err := o.readRows(ctx, from, relayBatch)
		if err != nil {
			return err
		}
		if len(batch) == 0 {
			o.bus.faults.flushWindow()
			return nil
		}
		now := time.Now()
		for _, e := range batch {
			msg := toMessage(e)
			if o.markPublished(e, msg, now) {
				o.bus.publish(e.Topic, msg)
			}
		}
		if len(batch) < relayBatch {
			o.bus.faults.flushWindow()
			return nil
		}
	}
}

// idle reports whether every committed row was published and handled.
func (o *Outbox) idle() bool {
	var last int64
	if err := o.db.Reader().QueryRow(`SELECT coalesce(max(seq), 0) FROM outbox`).Scan(&last); err != nil {
		return false
	}
	o.mu.Lock()
	done := o.published >= last
	waiting := map[string]bool{}
	for _, f := range o.pending {
		for c := range f.waiting {
			waiting[c] = true
		}
	}
	o.mu.Unlock()
	// A message that waits only on paused consumers waits for their return,
	// not for the bus.
	for c := range waiting {
		if !o.bus.gate(c).isShut() {
			return false
		}
	}
	return done
}

// acked records that consumer has handled the message id.
func (o *Outbox) acked(id, consumer string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	f, ok := o.pending[id]
	if !ok {
		return
	}
	delete(f.waiting, consumer)
	if len(f.waiting) == 0 {
		delete(o.pending, id)
		o.advanceLocked()
	}
}

// advanceLocked moves delivered up to just below the oldest pending row.
// Pending rows are queued in publish order, so this is the queue's head:
// handled rows are dropped from the front, in amortised constant time.
func (o *Outbox) advanceLocked() {
	for len(o.inOrder) > 0 && len(o.inOrder[0].waiting) == 0 {
		o.inOrder[0] = nil
		o.inOrder = o.inOrder[1:]
	}
	if len(o.inOrder) == 0 {
		o.delivered = o.published
		return
	}
	o.delivered = o.inOrder[0].seq - 1
}

// redeliverStale publishes again the messages some consumer has not handled
// for RedeliverAfter: the in-memory pub/sub may have dropped them. Consumers
// that did handle them ignore the copy (inbox).
func (o *Outbox) redeliverStale() {
	after := o.bus.cfg.RedeliverAfter
	now := time.Now()
	if now.Sub(o.scannedAt) < min(after/4, time.Second) {
		return // a stale message waits a little longer; the relay's hot loop stays light
	}
	o.scannedAt = now
	o.scans.Add(1)
	var stale []*inFlight
	o.mu.Lock()
	for _, f := range o.pending {
		if now.Sub(f.published) > after {
			f.published = now
			stale = append(stale, f)
		}
	}
	o.mu.Unlock()
	o.redelivered.Add(int64(len(stale)))
	for _, f := range stale {
		o.bus.pubsub.Publish(f.topic, f.msg) //nolint:errcheck // a closed pub/sub drops it; the next start republishes
	}
}

// saveInterval bounds how often a busy relay writes its position: a stale
// position only means a few more duplicates, which inboxes ignore, after a
// restart.
const saveInterval = 100 * time.Millisecond

// saveProgress writes the delivered position, so a restart republishes only
// what some consumer may not have handled. Unless force, it writes at most
// once per saveInterval.
func (o *Outbox) saveProgress(ctx context.Context, force bool) error {
	o.mu.Lock()
	seq, saved, savedAt := o.delivered, o.saved, o.savedAt
	o.mu.Unlock()
	if seq == saved || (!force && time.Since(savedAt) < saveInterval) {
		return nil
	}
	err := o.db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox_relay SET delivered_seq = ? WHERE id = 1`, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("save the %s relay position: %w", o.source, err)
	}
	o.mu.Lock()
	o.saved, o.savedAt = seq, time.Now()
	o.mu.Unlock()
	return nil
}
