package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"sagalab/storage"
)

// relay publishes one module's committed outbox rows, in order, through the
// bus's Transport, and saves how far every row is done (outbox_relay), so a
// restart publishes again only what may not have reached every consumer.
// Committed transactions that emitted wake it; otherwise it polls.
type relay struct {
	source    string
	db        *storage.DB
	cfg       *Config
	transport Transport
	faults    *faultInjector
	// consumers names the consumers that must acknowledge a row of a topic
	// (AfterConsumers); paused reports whether a consumer is paused.
	consumers func(topic string) map[string]bool
	// needs reports whether consumer needs a message (Bus.Needing); with
	// an Addressed transport, a message goes only to those that do.
	needs  func(ctx context.Context, consumer string, env Envelope) bool
	paused func(consumer string) bool
	wakeCh chan struct{}
	held   atomic.Bool // see Bus.Hold

	mu        sync.Mutex
	published int64 // highest seq handed to the transport
	delivered int64 // every seq up to here is done
	saved     int64 // delivered as last written to outbox_relay
	savedAt   time.Time
	prunedAt  time.Time
	kept      []string    // topics retention never prunes
	inOrder   []*inFlight // pending rows in publish (seq) order
	scannedAt time.Time   // last look for stale messages
	pending   map[string]*inFlight
	feed      feed // committed rows handed over by their transactions (relayfeed.go)
	// owed counts, per consumer, the published messages it has not
	// handled; stalled says publishing waits for one to catch up (see
	// publishWindow).
	owed    map[string]int
	stalled bool

	// scans counts the looks for stale messages; redelivered counts the
	// messages they published again.
	scans, redelivered atomic.Int64
}

// wake wakes the relay after a transaction that wrote to the outbox has
// committed. It never blocks.
func (r *relay) wake() {
	select {
	case r.wakeCh <- struct{}{}:
	default:
	}
}

// run publishes committed rows in sequence order until ctx ends.
func (r *relay) run(ctx context.Context, log *slog.Logger) {
	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	poll := true
	for {
		if !r.held.Load() {
			r.relayOnce(ctx, log, poll)
		}
		poll = false
		select {
		case <-ctx.Done():
			return
		case <-r.wakeCh:
		case <-tick.C:
			poll = true
		}
	}
}

// relayOnce publishes what is new, republishes what is stale and saves the
// relay's position. With poll it reads the outbox even when the feed says
// it holds every committed row.
func (r *relay) relayOnce(ctx context.Context, log *slog.Logger, poll bool) {
	if err := r.publishBatch(ctx, poll); err != nil && ctx.Err() == nil {
		log.Error("outbox relay", "source", r.source, "error", err)
	}
	r.redeliverStale(ctx)
	if err := r.saveProgress(ctx, false); err != nil && ctx.Err() == nil {
		log.Error("outbox relay", "source", r.source, "error", err)
	}
	if err := r.prune(ctx); err != nil && ctx.Err() == nil {
		log.Error("outbox retention", "source", r.source, "error", err)
	}
}

// relayBatch is how many rows a relay reads at a time.
const relayBatch = 512

// publishWindow bounds, per consumer that is not paused, the messages a
// relay has published and the consumer has not handled yet. Past it the
// relay waits and the messages wait in the outbox, where they cost nothing,
// instead of in memory: each one in flight holds a goroutine (the
// router's) whose stack the garbage collector scans.
// Without it a view that fell behind held over 10,000 goroutines and 50-75
// MB of stacks in bench sagas. The price is that a slow consumer slows the
// others of the same outbox down to its pace, as a broker's flow control
// would do to it alone; a paused consumer does not count.
const publishWindow = 256

// room returns how many more messages the relay may publish now (see
// publishWindow). It marks the relay stalled first, so that an
// acknowledgement coming meanwhile wakes it.
func (r *relay) room() int {
	if r.transport.Completion() != AfterConsumers {
		return relayBatch
	}
	r.mu.Lock()
	r.stalled = true
	owed := maps.Clone(r.owed) // paused takes the bus's locks: look outside the relay's
	r.mu.Unlock()
	most := 0
	for c, n := range owed {
		if n > most && !r.paused(c) {
			most = n
		}
	}
	if most < publishWindow {
		r.mu.Lock()
		r.stalled = false
		r.mu.Unlock()
	}
	return publishWindow - most
}

// publishBatch publishes the committed rows after the last one published,
// taken from the feed or, when the feed may lack them (or with poll, once),
// read from the outbox.
func (r *relay) publishBatch(ctx context.Context, poll bool) error {
	for {
		if r.held.Load() {
			return nil // held meanwhile: step mode may be publishing
		}
		room := r.room()
		if room <= 0 {
			return nil // an acknowledgement wakes the relay
		}
		r.mu.Lock()
		from := r.published
		r.mu.Unlock()
		limit := min(room, relayBatch)
		batch, partial := r.takeFed(from, limit)
		fromFeed := len(batch) > 0
		if !fromFeed && (partial || poll) {
			poll = false
			drops := r.drops()
			var err error
			if batch, err = r.readRows(ctx, from, limit); err != nil {
				return err
			}
			if len(batch) < limit {
				r.readAll(drops)
			}
		}
		if len(batch) == 0 {
			r.faults.flushWindow()
			return nil
		}
		now := time.Now()
		for _, e := range batch {
			msg := toMessage(e)
			if r.transport.Completion() == AfterPublish {
				if err := r.transport.Publish(e.Topic, msg); err != nil {
					if fromFeed {
						r.forgetFed() // the rest of the batch left the feed: read it again
					}
					return fmt.Errorf("publish %s %s: %w", e.Type, e.ID, err)
				}
				r.markPublished(ctx, e, msg, now)
				continue
			}
			if to := r.markPublished(ctx, e, msg, now); len(to) > 0 {
				r.publish(ctx, to, e.Topic, msg)
			}
		}
		if !fromFeed && len(batch) < limit {
			r.faults.flushWindow()
			return nil
		}
	}
}

// publish hands msg to the transport for consumers, applying the
// configured faults. A message the in-process transport fails to take is
// published again when stale.
func (r *relay) publish(ctx context.Context, consumers []string, topic string, msg *message.Message) {
	r.faults.publish(msg, func(m *message.Message) {
		if err := r.send(ctx, consumers, topic, m); err != nil {
			r.cfg.Logger.Debug("publish", "topic", topic, "error", err)
		}
	})
}

// send hands msg to the transport: to consumers alone when it is
// Addressed, else to all of topic's subscribers. The message carries the
// relay's context, which the bus cancels when it closes: the in-process
// transport hands it on to the handlers (see InProcess), so that a
// handling waiting on something (a retry, an injected delay) gives up.
func (r *relay) send(ctx context.Context, consumers []string, topic string, msg *message.Message) error {
	msg.SetContext(ctx)
	if a, ok := r.transport.(Addressed); ok {
		return a.PublishTo(consumers, topic, msg)
	}
	return r.transport.Publish(topic, msg)
}

// markPublished records that the rows up to e were handed out and, when
// the transport needs consumers' acknowledgements, that e awaits its
// topic's consumers: with an Addressed transport, only those that need it.
// It returns, sorted, the consumers e awaits.
func (r *relay) markPublished(ctx context.Context, e Envelope, msg *message.Message, now time.Time) []string {
	f := &inFlight{seq: e.Seq, topic: e.Topic, msg: msg, published: now}
	var to []string
	if r.transport.Completion() == AfterConsumers {
		f.waiting = r.consumers(e.Topic)
		_, addressed := r.transport.(Addressed)
		for c := range f.waiting {
			if addressed && !r.needs(ctx, c, e) {
				delete(f.waiting, c)
				continue
			}
			to = append(to, c)
		}
		slices.Sort(to)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.published = e.Seq
	if len(f.waiting) > 0 {
		r.pending[e.ID] = f
		r.inOrder = append(r.inOrder, f)
		for c := range f.waiting {
			r.owed[c]++
		}
	}
	r.advanceLocked()
	return to
}

// idle reports whether every committed row was published and done.
func (r *relay) idle() bool {
	var last int64
	if err := r.db.Reader().QueryRow(`SELECT coalesce(max(seq), 0) FROM outbox`).Scan(&last); err != nil {
		return false
	}
	r.mu.Lock()
	done := r.published >= last
	r.mu.Unlock()
	waiting := map[string]bool{}
	r.waitingFor(waiting)
	// A message that waits only on paused consumers waits for their return,
	// not for the bus.
	for c := range waiting {
		if !r.paused(c) {
			return false
		}
	}
	return done
}

func (r *relay) loadProgress(ctx context.Context) error {
	var seq int64
	if err := r.db.Reader().QueryRowContext(ctx, `SELECT delivered_seq FROM outbox_relay`).Scan(&seq); err != nil {
		return fmt.Errorf("read the %s relay position: %w", r.source, err)
	}
	r.mu.Lock()
	r.published, r.delivered, r.saved = seq, seq, seq
	r.mu.Unlock()
	return nil
}

// saveInterval bounds how often a busy relay writes its position: a stale
// position only means a few more duplicates, which inboxes ignore, after a
// restart.
const saveInterval = 100 * time.Millisecond

// saveProgress writes the delivered position, so a restart republishes only
// what some consumer may not have handled. Unless force, it writes at most
// once per saveInterval.
func (r *relay) saveProgress(ctx context.Context, force bool) error {
	r.mu.Lock()
	seq, saved, savedAt := r.delivered, r.saved, r.savedAt
	r.mu.Unlock()
	if seq == saved || (!force && time.Since(savedAt) < saveInterval) {
		return nil
	}
	err := r.db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE outbox_relay SET delivered_seq = ? WHERE id = 1`, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("save the %s relay position: %w", r.source, err)
	}
	r.mu.Lock()
	r.saved, r.savedAt = seq, time.Now()
	r.mu.Unlock()
	return nil
}

// pruneEvery is how often a relay applies the retention setting.
const pruneEvery = time.Minute

// prune deletes the delivered messages older than the retention setting,
// at most once per pruneEvery.
func (r *relay) prune(ctx context.Context) error {
	if r.cfg.Retention <= 0 || time.Since(r.prunedAt) < pruneEvery {
		return nil
	}
	r.prunedAt = time.Now()
	return r.pruneNow(ctx)
}

// keep exempts topic from the retention setting.
func (r *relay) keep(topic string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Contains(r.kept, topic) {
		r.kept = append(r.kept, topic)
	}
}

// pruneNow deletes the delivered messages older than the retention setting,
// keeping the newest message of each topic so positions carry on from it.
func (r *relay) pruneNow(ctx context.Context) error {
	retention := r.cfg.Retention
	if retention <= 0 {
		return nil
	}
	r.mu.Lock()
	delivered := r.delivered // done with by every consumer
	kept, _ := json.Marshal(append([]string{}, r.kept...))
	r.mu.Unlock()
	return r.db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE seq <= ? AND created_at < ?
			AND topic NOT IN (SELECT value FROM json_each(?))
			AND seq NOT IN (SELECT max(seq) FROM outbox GROUP BY topic)`,
			delivered, r.cfg.Now().Add(-retention).UnixNano(), string(kept))
		return err
	})
}

// readRows returns up to limit committed rows after seq after.
func (r *relay) readRows(ctx context.Context, after int64, limit int) ([]Envelope, error) {
	return queryEnvelopes(ctx, r.db, r.source, `seq > ? ORDER BY seq LIMIT ?`, after, limit)
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
	msg.Metadata = make(message.Metadata, 8) // the keys below, without growing
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
