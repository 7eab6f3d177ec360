package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sagalab/bus"
	"sagalab/bus/eventstore"
	"sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/twopc"
	"sagalab/storage"
)

// The Customer service's two-phase commit participant. Its PREPARE
// (PrepareReserveCredit) writes the reservation as prepared in
// twopc_prepared, not yet in the customer's event stream, and locks the
// customer's credit: while a customer has a prepared transaction, no other
// order of that customer, in any mode, may reserve credit. The lock does
// not queue: a reservation that finds it is refused at once, with reason
// CREDIT_LOCKED (a lock wait of zero, as a database's NOWAIT). The
// decision releases the lock: CommitTransaction appends the reservation to
// the stream (CustomerCreditReserved), AbortTransaction drops it.

// Participant states in twopc_prepared.
const (
	txPrepared = "PREPARED"
	txRefused  = "REFUSED" // voted no
)

// DefaultAskAfter is how long a prepared participant waits for the decision
// before it asks the coordinator, and between two questions.
const DefaultAskAfter = 5 * time.Second

// preparedTx is a row of twopc_prepared.
type preparedTx struct {
	State, Reason, CustomerID string
	Amount                    money.Money
}

// subscribeParticipant registers the participant's handlers.
func (m *Module) subscribeParticipant(c *bus.Consumer) {
	bus.Handle(c, contract.CommandsTopic, contract.PrepareReserveCredit, m.onPrepareReserveCredit)
	bus.Handle(c, contract.CommandsTopic, twopc.CommitTransaction, m.onDecision)
	bus.Handle(c, contract.CommandsTopic, twopc.AbortTransaction, m.onDecision)
}

func loadPrepared(ctx context.Context, q storage.Querier, txID string) (preparedTx, error) {
	var p preparedTx
	var amount int64
	err := q.QueryRowContext(ctx, `SELECT state, reason, customer_id, amount FROM twopc_prepared WHERE tx_id = ?`, txID).
		Scan(&p.State, &p.Reason, &p.CustomerID, &amount)
	if errors.Is(err, sql.ErrNoRows) {
		return preparedTx{}, nil
	}
	if err != nil {
		return preparedTx{}, fmt.Errorf("prepared transaction %s: %w", txID, err)
	}
	p.Amount = money.Money(amount)
	return p, nil
}

// lockHolder returns the prepared transaction that locks customerID's
// credit, or "" for none.
func lockHolder(ctx context.Context, q storage.Querier, customerID string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT tx_id FROM twopc_prepared WHERE customer_id = ? AND state = 'PREPARED' LIMIT 1`,
		customerID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("credit lock of customer %s: %w", customerID, err)
	}
	return id, nil
}

// onPrepareReserveCredit is phase 1: it votes yes, with the credit prepared
// and locked, or no with a reason. A duplicate PREPARE gets the same vote.
func (m *Module) onPrepareReserveCredit(ctx context.Context, tx *bus.Tx, msg bus.Received[contract.PrepareReserveCreditCommand]) error {
	cmd := msg.Data
	p, err := loadPrepared(ctx, tx, cmd.OrderID)
	if err != nil {
		return err
	}
	switch p.State {
	case txPrepared, twopc.Committed:
		tx.Note("already prepared: votes COMMIT again")
		return m.vote(ctx, tx, msg.Envelope, cmd.OrderID, "")
	case twopc.Aborted:
		tx.Note("transaction %s was aborted before its PREPARE: votes ABORT", cmd.OrderID)
		return m.vote(ctx, tx, msg.Envelope, cmd.OrderID, "ABORTED")
	case txRefused:
		tx.Note("already refused (%s): votes ABORT again", p.Reason)
		return m.vote(ctx, tx, msg.Envelope, cmd.OrderID, p.Reason)
	}
	reason, err := m.prepareReason(ctx, tx, cmd)
	if err != nil {
		return err
	}
	state := txPrepared
	if reason != "" {
		state = txRefused
	}
	now := m.now().UnixNano()
	_, err = tx.ExecContext(ctx, `INSERT INTO twopc_prepared (tx_id, customer_id, amount, state, reason, prepared_at, asked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, cmd.OrderID, cmd.CustomerID, cmd.OrderTotal, state, reason, now, now)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", cmd.OrderID, err)
	}
	return m.vote(ctx, tx, msg.Envelope, cmd.OrderID, reason)
}

// prepareReason decides phase 1: "" to vote yes, else why not.
func (m *Module) prepareReason(ctx context.Context, tx *bus.Tx, cmd contract.PrepareReserveCreditCommand) (string, error) {
	c, err := m.repo.load(ctx, tx, cmd.CustomerID)
	if errors.Is(err, contract.ErrNotFound) {
		tx.Note("no customer %s: votes ABORT", cmd.CustomerID)
		return contract.ReasonUnknownCustomer, nil
	}
	if err != nil {
		return "", err
	}
	holder, err := lockHolder(ctx, tx, cmd.CustomerID)
	if err != nil {
		return "", err
	}
	switch {
	case holder != "":
		tx.Note("credit of %s locked by prepared transaction %s: votes ABORT", cmd.CustomerID, holder)
		return contract.ReasonCreditLocked, nil
	case cmd.OrderTotal > c.Available():
		tx.Note("order %s needs %s, only %s available: votes ABORT", cmd.OrderID, cmd.OrderTotal, c.Available())
		return contract.ReasonInsufficientCredit, nil
	}
	tx.Note("%s of %s prepared, not applied; the customer's credit is locked until the decision; votes COMMIT",
		cmd.OrderTotal, c.Available())
	return "", nil
}

// vote replies VoteCommit, or VoteAbort when reason is set.
func (m *Module) vote(ctx context.Context, tx *bus.Tx, cmd bus.Envelope, txID, reason string) error {
	typ := twopc.VoteCommit
	if reason != "" {
		typ = twopc.VoteAbort
	}
	return m.reply(ctx, tx, cmd, typ, twopc.Vote{TxID: txID, Participant: twopc.ParticipantCustomer, Reason: reason})
}

// onDecision is phase 2: it applies the decision once, releases the lock
// and acknowledges (again, for a duplicate).
func (m *Module) onDecision(ctx context.Context, tx *bus.Tx, msg bus.Received[twopc.Decision]) error {
	d := msg.Data
	outcome := twopc.Committed
	if msg.Type == twopc.AbortTransaction {
		outcome = twopc.Aborted
	}
	p, err := loadPrepared(ctx, tx, d.TxID)
	if err != nil {
		return err
	}
	switch {
	case p.State == outcome || (p.State == txRefused && outcome == twopc.Aborted):
		tx.Note("%s already applied to %s: acknowledged again", outcome, d.TxID)
	case p.State == txPrepared && outcome == twopc.Committed:
		if err := m.commitPrepared(ctx, tx, msg.Envelope, d.TxID, p); err != nil {
			return err
		}
	case (p.State == txPrepared || p.State == "") && outcome == twopc.Aborted:
		now := m.now().UnixNano()
		_, err := tx.ExecContext(ctx, `INSERT INTO twopc_prepared (tx_id, customer_id, amount, state, prepared_at, asked_at)
			VALUES (?, '', 0, 'ABORTED', ?, ?) ON CONFLICT (tx_id) DO UPDATE SET state = 'ABORTED'`, d.TxID, now, now)
		if err != nil {
			return fmt.Errorf("abort %s: %w", d.TxID, err)
		}
		if p.State == txPrepared {
			tx.Note("prepared %s dropped; the lock on %s's credit is released", p.Amount, p.CustomerID)
		} else {
			tx.Note("nothing prepared for %s: abort recorded, a late PREPARE will vote ABORT", d.TxID)
		}
	default:
		return fmt.Errorf("transaction %s: %s of a transaction recorded %q", d.TxID, outcome, p.State)
	}
	return m.reply(ctx, tx, msg.Envelope, twopc.Ack,
		twopc.Acknowledgement{TxID: d.TxID, Participant: twopc.ParticipantCustomer, Outcome: outcome})
}

// commitPrepared applies a prepared reservation: CustomerCreditReserved is
// appended to the customer's stream, and the lock released.
func (m *Module) commitPrepared(ctx context.Context, tx *bus.Tx, cause bus.Envelope, txID string, p preparedTx) error {
	why := causation{correlationID: cause.CorrelationID, causationID: cause.ID}
	c, _, err := m.command(ctx, tx, p.CustomerID, func(c *Customer, prior *Reservation) []eventstore.NewEvent {
		if prior != nil {
			return nil
		}
		return []eventstore.NewEvent{why.event(contract.CustomerCreditReserved,
			contract.CreditReserved{CustomerID: c.ID, OrderID: txID, OrderTotal: p.Amount})}
	}, txID)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE twopc_prepared SET state = 'COMMITTED' WHERE tx_id = ?`, txID); err != nil {
		return fmt.Errorf("commit %s: %w", txID, err)
	}
	tx.Note("committed: %s reserved (CustomerCreditReserved appended), %s left; the lock is released",
		p.Amount, c.Available())
	return nil
}

// AskDecisions sends QueryDecision to the coordinator for every transaction
// prepared, or last asked about, more than the participant's ask-after
// ago: a prepared participant may not decide alone, so it asks.
func (m *Module) AskDecisions(ctx context.Context) error {
	before := m.now().Add(-m.askAfter).UnixNano()
	ids, err := storage.QueryStrings(ctx, m.db.Reader(), `SELECT tx_id FROM twopc_prepared WHERE state = 'PREPARED' AND asked_at <= ?
		ORDER BY asked_at LIMIT 100`, before)
	if err != nil {
		return fmt.Errorf("prepared transactions waiting: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	return m.out.Write(ctx, func(tx *bus.Tx) error {
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, `UPDATE twopc_prepared SET asked_at = ? WHERE tx_id = ? AND state = 'PREPARED'`,
				m.now().UnixNano(), id)
			if err != nil {
				return fmt.Errorf("ask about %s: %w", id, err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			m.log.Info("prepared too long: asking the coordinator for the decision", "tx", id)
			err = tx.Emit(ctx, bus.Message{Topic: ordercontract.CoordinatorTopic, Type: twopc.QueryDecision, CorrelationID: id,
				Payload: twopc.Query{TxID: id, Participant: twopc.ParticipantCustomer},
				Effect:  fmt.Sprintf("transaction %s prepared for too long: the participant asks for the decision", id)})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Start runs the participant's background work: asking for the decisions
// it waits for too long. Close stops it.
func (m *Module) Start() {
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		go func() {
			<-m.stop
			cancel()
		}()
		tick := time.NewTicker(min(max(m.askAfter/5, 10*time.Millisecond), time.Second))
		defer tick.Stop()
		for {
			select {
			case <-m.stop:
				return
			case <-tick.C:
			}
			if err := m.AskDecisions(ctx); err != nil && ctx.Err() == nil {
				m.log.Error("ask for two-phase commit decisions", "error", err)
			}
		}
	}()
}

// Close stops the background work.
func (m *Module) Close() {
	m.stopOnce.Do(func() { close(m.stop) })
	m.done.Wait()
}
