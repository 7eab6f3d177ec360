package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"sagalab/storage"
)

// Batched consumption: the messages waiting for one consumer are handled
// together, in one local transaction, and a failing message rolls back
// only itself and fails (is retried, then parked) alone. The batch looks
// its messages up in the inbox with one query and records them with one
// multi-row insert; the consumer's OnBatch hook runs once for the batch.
// Every caller returns after the COMMIT, so each message is acknowledged
// only once its work is durable.
//
// A batch runs first unguarded, its handlers one after the other in the
// transaction, which nearly always commits. When a message fails there,
// the transaction rolls back and the batch runs again guarded: each
// message inside its own savepoint, and without the one that failed,
// whose failure stands (it met the state its batch-mates before it left,
// as it would have guarded). A savepoint costs two statements and a copy
// of every page the message changes; guarding every message cost 5-8% of
// a saga's CPU (bench sagas). Running a handler twice is nothing new to
// it: delivery is at least once.
//
// A caller queues its message. If no batch of the consumer is running, it
// leads: it yields once, so that messages whose handlers are ready to run
// queue too, and takes what is queued (up to maxBatch; a batch waits to
// fill only if the consumer lingers), runs it, tells each caller its
// outcome and hands the lead to the oldest caller queued meanwhile. The
// transport (the router, step mode) still hands messages one at a time;
// the batch forms from those that arrive while the previous one runs.

// maxBatch bounds the messages one batch handles.
const maxBatch = 64

// queued is one message waiting in, or handled in, a batch.
type queued struct {
	ctx      context.Context
	env      Envelope
	run      func(context.Context, *Tx) error
	d        Delivery
	received int64 // inbox received_at
	resolved bool  // a dead letter of the message was removed
	err      error
	// turn says, once: true, lead the next batch; false, done.
	turn chan bool
}

// batcher is a consumer's queue of messages to handle.
type batcher struct {
	mu     sync.Mutex
	queue  []*queued
	active bool
	// lingering is set while a leader lingers (see Linger); full wakes it
	// when maxBatch messages wait.
	lingering bool
	full      chan struct{}
}

// Linger makes the leader of each of c's batches wait up to d, or until
// maxBatch messages wait, before it takes them, so that more of them share
// a transaction and its COMMIT: for a consumer no saga waits on, such as a
// view, whose messages are then handled up to d later. Without it a batch
// is what arrived while the one before ran, which under a moderate load is
// a message or two. Set it before the bus starts.
func (c *Consumer) Linger(d time.Duration) {
	c.lingerFor = d
	c.batch.full = make(chan struct{}, 1)
}

// linger waits as Linger says, unless maxBatch messages wait already.
func (c *Consumer) linger(ctx context.Context) {
	bt := &c.batch
	bt.mu.Lock()
	wait := len(bt.queue) < maxBatch
	bt.lingering = wait
	bt.mu.Unlock()
	if !wait {
		return
	}
	t := time.NewTimer(c.lingerFor)
	select {
	case <-t.C:
	case <-bt.full:
	case <-ctx.Done(): // a closing bus: no need to wait
	}
	t.Stop()
	bt.mu.Lock()
	bt.lingering = false
	select {
	case <-bt.full: // sent as the wait ended: not for the next one
	default:
	}
	bt.mu.Unlock()
}

// OnBatch makes c run f once per batch of messages it handled, inside the
// batch's transaction and after their handlers, with the messages whose
// handlers succeeded (duplicates left out): for work many messages share,
// such as a view's read position. When f fails, the whole batch fails and
// each message is retried. Register before the bus starts.
func (c *Consumer) OnBatch(f func(ctx context.Context, tx *Tx, handled []Envelope) error) {
	c.onBatch = f
}

// handleQueued handles env with run in a batch and returns once the batch
// has committed, with the message's delivery and outcome.
func (c *Consumer) handleQueued(ctx context.Context, env Envelope, run func(context.Context, *Tx) error) *queued {
	q := &queued{ctx: ctx, env: env, run: run, turn: make(chan bool, 1)}
	bt := &c.batch
	bt.mu.Lock()
	bt.queue = append(bt.queue, q)
	if bt.lingering && len(bt.queue) >= maxBatch {
		signal(bt.full)
	}
	lead := !bt.active
	bt.active = true
	bt.mu.Unlock()
	if !lead {
		lead = <-q.turn
	}
	if lead {
		if c.lingerFor > 0 {
			c.linger(ctx)
		}
		runtime.Gosched() // as storage's group commit does: let ready messages join
		bt.mu.Lock()
		n := min(len(bt.queue), maxBatch)
		batch := bt.queue[:n:n]
		bt.queue = bt.queue[n:]
		bt.mu.Unlock()
		c.runBatch(batch)
		bt.mu.Lock()
		if len(bt.queue) > 0 {
			bt.queue[0].turn <- true
		} else {
			bt.active = false
			bt.queue = nil
		}
		bt.mu.Unlock()
	}
	return q
}

// runBatch handles batch in one transaction and tells each member its
// outcome.
func (c *Consumer) runBatch(batch []*queued) {
	defer func() {
		for _, q := range batch {
			select {
			case q.turn <- false:
			default: // the leader's channel may hold a hand-over; it reads its outcome directly
			}
		}
	}()
	began := time.Now()
	// The transaction belongs to no one message: one's cancelled context
	// must not end it.
	ctx := context.WithoutCancel(batch[0].ctx)
	// The leader yielded before it took the batch: the commit need not.
	run := func(guarded bool) error {
		return c.db.WriteGathered(ctx, func(st *storage.Tx) error { return c.handleBatch(ctx, st, batch, guarded) })
	}
	err := run(false)
	if errors.Is(err, errUnguarded) {
		err = run(true)
	}
	took := time.Since(began)
	for _, q := range batch {
		q.d.Took = took
		if err != nil && q.err == nil {
			q.err, q.resolved = err, false
		}
	}
}

// errUnguarded ends an unguarded run of a batch in which a message
// failed: the transaction rolls back, and the batch runs again guarded.
var errUnguarded = errors.New("a message of an unguarded batch failed")

// handleBatch runs the batch's handlers inside st: each in a savepoint if
// guarded, otherwise (see errUnguarded) all in the transaction itself. A
// message that failed in an earlier run keeps its failure and is left
// out.
func (c *Consumer) handleBatch(ctx context.Context, st *storage.Tx, batch []*queued, guarded bool) error {
	b := c.bus
	seen, err := c.seenBefore(ctx, st, batch)
	if err != nil {
		return err
	}
	// A lone message needs no savepoint: its failure fails the transaction.
	guard := func(fn func() error) error { return fn() }
	if guarded && len(batch) > 1 {
		guard = st.Savepoint
	}
	handled := make(map[string]bool, len(batch))
	var recorded []*queued
	var envs []Envelope
	for _, q := range batch {
		if q.err != nil {
			continue // failed in the unguarded run
		}
		q.d, q.resolved, q.received = Delivery{Envelope: q.env, Consumer: c.name}, false, 0
		if err := q.ctx.Err(); err != nil {
			q.err = err
			continue
		}
		if seen[q.env.ID] || handled[q.env.ID] {
			q.d.Duplicate = true
			if q.resolved, err = c.dl.resolve(ctx, st, q.env.ID); err != nil {
				return err
			}
			continue
		}
		err := guard(func() (err error) {
			// A panicking handler fails its own message, not its batch-mates'.
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("handler panicked: %v", p)
				}
			}()
			if err := b.faults.fail(c.name, q.env); err != nil {
				return err
			}
			tx := &Tx{Tx: st, out: c.out, handling: &q.env}
			if err := q.run(q.ctx, tx); err != nil {
				return err
			}
			q.d.Effect = tx.Effect()
			q.received = b.cfg.Now().UnixNano()
			q.resolved, err = c.dl.resolve(ctx, st, q.env.ID)
			return err
		})
		if err != nil {
			q.resolved = false
			if len(batch) == 1 || errors.Is(err, storage.ErrTransactionLost) {
				return err
			}
			q.err = err
			if !guarded {
				return errUnguarded
			}
			continue
		}
		handled[q.env.ID] = true
		recorded = append(recorded, q)
		if c.onBatch != nil {
			envs = append(envs, q.env)
		}
	}
	if len(envs) > 0 && c.onBatch != nil {
		if err := c.onBatch(ctx, &Tx{Tx: st, out: c.out}, envs); err != nil {
			return fmt.Errorf("%s: after the batch: %w", c.name, err)
		}
	}
	return c.record(ctx, st, recorded)
}

// seenBefore returns the ids of the batch's messages c's inbox already
// holds.
func (c *Consumer) seenBefore(ctx context.Context, st *storage.Tx, batch []*queued) (map[string]bool, error) {
	if len(batch) == 1 {
		var n int
		id := batch[0].env.ID
		if err := st.QueryRowContext(ctx, `SELECT count(*) FROM inbox WHERE consumer = ? AND message_id = ?`,
			c.name, id).Scan(&n); err != nil {
			return nil, fmt.Errorf("look up %s in the %s inbox: %w", id, c.name, err)
		}
		return map[string]bool{id: n > 0}, nil
	}
	ids := make([]string, len(batch))
	for i, q := range batch {
		ids[i] = q.env.ID
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("look up %d messages in the %s inbox: %w", len(ids), c.name, err)
	}
	rows, err := st.QueryContext(ctx, `SELECT message_id FROM inbox WHERE consumer = ?
		AND message_id IN (SELECT value FROM json_each(?))`, c.name, string(list))
	if err != nil {
		return nil, fmt.Errorf("look up %d messages in the %s inbox: %w", len(ids), c.name, err)
	}
	defer rows.Close()
	seen := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("look up %d messages in the %s inbox: %w", len(ids), c.name, err)
		}
		seen[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("look up %d messages in the %s inbox: %w", len(ids), c.name, err)
	}
	return seen, nil
}

// inboxColumns are the columns of an inbox row, as record writes them.
const inboxColumns = 8

// record writes the inbox rows of the handled messages, a few statements
// for many rows: chunks of a power of two rows, so that few distinct
// statements are prepared.
func (c *Consumer) record(ctx context.Context, st *storage.Tx, handled []*queued) error {
	for len(handled) > 0 {
		n := 1
		for n*2 <= min(len(handled), 32) {
			n *= 2
		}
		args := make([]any, 0, n*inboxColumns)
		for _, q := range handled[:n] {
			e := q.env
			args = append(args, c.name, e.ID, e.Source, e.Type, e.CorrelationID, e.CausationID, q.received, q.d.Effect)
		}
		query := `INSERT INTO inbox (consumer, message_id, source, type, correlation_id, causation_id, received_at,
			effect) VALUES ` + strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?), ", n-1) + "(?, ?, ?, ?, ?, ?, ?, ?)"
		if _, err := st.ExecContext(ctx, query, args...); err != nil {
			return fmt.Errorf("record %d message(s) in the %s inbox: %w", n, c.name, err)
		}
		handled = handled[n:]
	}
	return nil
}
