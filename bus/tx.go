package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"sagalab/storage"
)

// Tx is a unit of work: one local transaction on a module's database, the
// module's outbox, and the message being handled, if any. What a module
// changes it changes through Tx, and what it sends it emits through Tx, so
// state and messages commit together or not at all; the commit wakes the
// relay. Consumer handlers, saga steps and event-store appends take a *Tx;
// initiating writes (an HTTP request, a timeout) get one from Outbox.Write.
type Tx struct {
	*storage.Tx
	out      *Outbox
	handling *Envelope
	notes    []string
	at       time.Time // when its first message was written: every row it writes carries it
	// positions holds where the messages emitted so far went.
	positions []written
}

// ErrNoOutbox is returned by Emit on a transaction of a consumer that has
// no outbox.
var ErrNoOutbox = errors.New("no outbox to write to")

// Handling returns the message the transaction handles, or nil for an
// initiating transaction.
func (t *Tx) Handling() *Envelope { return t.handling }

// Outbox is the module's outbox, nil for a consumer without one.
func (t *Tx) Outbox() *Outbox { return t.out }

// Emit writes msgs to the module's outbox within the transaction; the relay
// publishes them once it has committed. A message without a causation id is
// caused by the message being handled. A message of an initiating
// transaction without an effect gets the notes taken so far. Every message
// of one transaction gets the same creation time, so that readers (traces)
// can tell which messages were written together.
func (t *Tx) Emit(ctx context.Context, msgs ...Message) error {
	if t.out == nil {
		return fmt.Errorf("emit %d message(s): %w", len(msgs), ErrNoOutbox)
	}
	for i := range msgs {
		if t.handling != nil {
			if msgs[i].CausationID == "" {
				msgs[i].CausationID = t.handling.ID
			}
		} else if msgs[i].Effect == "" {
			msgs[i].Effect = t.Effect()
		}
	}
	if t.at.IsZero() {
		t.at = t.out.now()
	}
	pos, err := t.out.write(ctx, t.Tx, t.at, msgs...)
	if err != nil {
		return err
	}
	t.positions = append(t.positions, pos...)
	rows := make([]Envelope, len(pos))
	for i, w := range pos {
		rows[i] = w.row
	}
	relay := t.out.relay
	t.OnCommit(func() { relay.fed(rows) })
	return nil
}

// Note records what the transaction changes: a handled message's inbox row
// keeps the notes, for traces and the walkthrough.
func (t *Tx) Note(format string, args ...any) {
	t.notes = append(t.notes, fmt.Sprintf(format, args...))
}

// Effect is the notes taken so far, joined.
func (t *Tx) Effect() string { return strings.Join(t.notes, "; ") }
