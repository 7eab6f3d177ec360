package bus

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"sagalab/storage"
)

// DeadLetter is a message a consumer could not handle after every retry.
// It is parked in the consumer's database (table dead_letters) and
// acknowledged to its outbox, so the relay stops publishing it; it waits
// there until RetryDeadLetter hands it to the consumer again or
// DropDeadLetter gives it up.
//
// Other messages with the same correlation id are handled as usual: the bus
// never promised an order, so every handler already copes with the messages
// of a saga arriving in any order (a late reservation after a release is
// refused, for one), and holding them back behind a dead letter would turn
// one bad message into a stuck correlation with a release rule of its own.
// The saga waits on what was parked until its deadline compensates it or an
// operator retries the message.
type DeadLetter struct {
	Consumer string
	Envelope
	// Error is the handler's last error.
	Error string
	// Attempts counts the handler's failed runs for this message.
	Attempts  int
	FirstSeen time.Time
	LastSeen  time.Time
}

// ErrNoDeadLetter is returned for a dead letter that does not exist.
var ErrNoDeadLetter = errors.New("no such dead letter")

// ErrStillFailing wraps the error of a retried dead letter whose handler
// failed again.
var ErrStillFailing = errors.New("the handler failed again")

// maxErrorText bounds the error text a dead letter keeps.
const maxErrorText = 4000

// deadLetters is one consumer's dead-letter table. It remembers which
// messages are parked, so that the consumer's transaction for one of them
// (a retry, or a copy the relay publishes after a crash) removes the record
// when it succeeds, and other transactions pay nothing.
type deadLetters struct {
	consumer string
	db       *storage.DB

	mu     sync.Mutex
	parked map[string]bool // message ids
}

func newDeadLetters(consumer string, db *storage.DB) *deadLetters {
	return &deadLetters{consumer: consumer, db: db, parked: map[string]bool{}}
}

// load reads which messages are parked.
func (d *deadLetters) load(ctx context.Context) error {
	list, err := storage.QueryStrings(ctx, d.db.Reader(), `SELECT message_id FROM dead_letters WHERE consumer = ?`, d.consumer)
	if err != nil {
		return fmt.Errorf("read the %s dead letters: %w", d.consumer, err)
	}
	ids := make(map[string]bool, len(list))
	for _, id := range list {
		ids[id] = true
	}
	d.mu.Lock()
	d.parked = ids
	d.mu.Unlock()
	return nil
}

func (d *deadLetters) isParked(id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.parked[id]
}

func (d *deadLetters) setParked(id string, parked bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if parked {
		d.parked[id] = true
	} else {
		delete(d.parked, id)
	}
}

// park records that dl's message failed dl.Attempts more times. A message
// parked before (a copy the relay published again) keeps one record: its
// attempts add up and its error and last-seen time are the newest.
func (d *deadLetters) park(ctx context.Context, dl DeadLetter) error {
	err := d.db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO dead_letters (consumer, message_id, source, topic, type,
			correlation_id, causation_id, reply_to, seq, position, created_at, payload, error, attempts,
			first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (consumer, message_id) DO UPDATE SET error = excluded.error,
			attempts = attempts + excluded.attempts, last_seen = excluded.last_seen`,
			d.consumer, dl.ID, dl.Source, dl.Topic, dl.Type, dl.CorrelationID, dl.CausationID, dl.ReplyTo, dl.Seq,
			dl.Position, dl.CreatedAt.UnixNano(), []byte(dl.Payload), clip(dl.Error), dl.Attempts,
			dl.FirstSeen.UnixNano(), dl.LastSeen.UnixNano())
		return err
	})
	if err != nil {
		return fmt.Errorf("park %s %s as a %s dead letter: %w", dl.Type, dl.ID, d.consumer, err)
	}
	d.setParked(dl.ID, true)
	return nil
}

// failedAgain records one more failed attempt of parked message id.
func (d *deadLetters) failedAgain(ctx context.Context, id, reason string, at time.Time) error {
	err := d.db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE dead_letters SET attempts = attempts + 1, error = ?, last_seen = ?
			WHERE consumer = ? AND message_id = ?`, clip(reason), at.UnixNano(), d.consumer, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("record the retry of %s dead letter %s: %w", d.consumer, id, err)
	}
	return nil
}

// resolve removes, inside the consumer's transaction tx that handled
// message id (or found it handled before), the message's dead letter if it
// has one. It reports whether it did; call forget after tx commits.
func (d *deadLetters) resolve(ctx context.Context, tx *storage.Tx, id string) (bool, error) {
	if !d.isParked(id) {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM dead_letters WHERE consumer = ? AND message_id = ?`,
		d.consumer, id); err != nil {
		return false, fmt.Errorf("remove %s dead letter %s: %w", d.consumer, id, err)
	}
	return true, nil
}

// drop deletes the dead letter of message id and returns it.
func (d *deadLetters) drop(ctx context.Context, id string) (DeadLetter, error) {
	var dl DeadLetter
	err := d.db.WriteTx(ctx, func(tx *storage.Tx) error {
		list, err := d.query(ctx, tx, `AND message_id = ?`, id)
		if err != nil {
			return err
		}
		if len(list) == 0 {
			return fmt.Errorf("%s dead letter %s: %w", d.consumer, id, ErrNoDeadLetter)
		}
		dl = list[0]
		_, err = tx.ExecContext(ctx, `DELETE FROM dead_letters WHERE consumer = ? AND message_id = ?`, d.consumer, id)
		return err
	})
	if err != nil {
		return DeadLetter{}, fmt.Errorf("drop: %w", err)
	}
	d.setParked(id, false)
	return dl, nil
}

// get returns the dead letter of message id.
func (d *deadLetters) get(ctx context.Context, id string) (DeadLetter, error) {
	list, err := d.query(ctx, d.db.Reader(), `AND message_id = ?`, id)
	if err != nil {
		return DeadLetter{}, err
	}
	if len(list) == 0 {
		return DeadLetter{}, fmt.Errorf("%s dead letter %s: %w", d.consumer, id, ErrNoDeadLetter)
	}
	return list[0], nil
}

// query reads the consumer's dead letters that and selects, oldest first.
func (d *deadLetters) query(ctx context.Context, q storage.Querier, and string, args ...any) ([]DeadLetter, error) {
	rows, err := q.QueryContext(ctx, `SELECT message_id, source, topic, type, correlation_id, causation_id,
		reply_to, seq, position, created_at, payload, error, attempts, first_seen, last_seen
		FROM dead_letters WHERE consumer = ? `+and+` ORDER BY first_seen, message_id`,
		append([]any{d.consumer}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("read the %s dead letters: %w", d.consumer, err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		dl := DeadLetter{Consumer: d.consumer}
		var created, first, last int64
		var payload []byte
		if err := rows.Scan(&dl.ID, &dl.Source, &dl.Topic, &dl.Type, &dl.CorrelationID, &dl.CausationID,
			&dl.ReplyTo, &dl.Seq, &dl.Position, &created, &payload, &dl.Error, &dl.Attempts, &first, &last); err != nil {
			return nil, fmt.Errorf("read the %s dead letters: %w", d.consumer, err)
		}
		dl.Payload = payload
		dl.CreatedAt, dl.FirstSeen, dl.LastSeen = time.Unix(0, created), time.Unix(0, first), time.Unix(0, last)
		out = append(out, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the %s dead letters: %w", d.consumer, err)
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > maxErrorText {
		return s[:maxErrorText] + "…"
	}
	return s
}
