package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"sagalab/bus"
	"sagalab/modules/order/contract"
	"sagalab/modules/shared/twopc"
)

// The Order service's two-phase commit participant: its part of the
// transaction is the order itself. Prepared, the order is locked PENDING
// (only the decision moves it); the commit approves it, the abort rejects
// it.

// subscribeParticipant registers the Order participant's handlers.
func (m *Module) subscribeParticipant(c *bus.Consumer) {
	bus.Handle(c, contract.CommandsTopic, contract.PrepareCreateOrder, m.onPrepareCreateOrder)
	bus.Handle(c, contract.CommandsTopic, twopc.CommitTransaction, m.onDecision)
	bus.Handle(c, contract.CommandsTopic, twopc.AbortTransaction, m.onDecision)
}

// preparedState returns what the participant recorded for txID: PREPARED,
// COMMITTED, ABORTED, or "" for nothing.
func preparedState(ctx context.Context, tx *bus.Tx, table, txID string) (string, error) {
	var state string
	err := tx.QueryRowContext(ctx, `SELECT state FROM `+table+` WHERE tx_id = ?`, txID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("prepared transaction %s: %w", txID, err)
	}
	return state, nil
}

// onPrepareCreateOrder prepares the order: it must be PENDING; it is then
// locked until the decision. It votes yes, or no for an order it cannot
// prepare (or whose abort came first). Prepared twice, it votes again the
// same.
func (m *Module) onPrepareCreateOrder(ctx context.Context, tx *bus.Tx, msg bus.Received[contract.PrepareCreateOrderCommand]) error {
	id := msg.Data.OrderID
	state, err := preparedState(ctx, tx, "twopc_order_prepared", id)
	if err != nil {
		return err
	}
	vote, reason := twopc.VoteCommit, ""
	switch state {
	case "PREPARED", twopc.Committed:
		tx.Note("order %s already prepared: votes COMMIT again", id)
	case twopc.Aborted:
		vote, reason = twopc.VoteAbort, "ABORTED"
		tx.Note("order %s was aborted before its PREPARE: votes ABORT", id)
	default:
		o, err := m.store.get(ctx, tx, id)
		if err != nil && !errors.Is(err, contract.ErrNotFound) {
			return err
		}
		if err != nil || o.State != contract.Pending {
			vote, reason = twopc.VoteAbort, "NOT_PENDING"
			tx.Note("order %s is not PENDING: votes ABORT", id)
			break
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO twopc_order_prepared (tx_id, state) VALUES (?, 'PREPARED')`, id); err != nil {
			return fmt.Errorf("prepare order %s: %w", id, err)
		}
		tx.Note("order %s prepared: locked PENDING until the decision; votes COMMIT", id)
	}
	return m.replyTo(ctx, tx, msg.Envelope, vote, twopc.Vote{TxID: id, Participant: twopc.ParticipantOrder, Reason: reason})
}

// onDecision applies the coordinator's decision to the order, once, and
// acknowledges it (again, for a duplicate).
func (m *Module) onDecision(ctx context.Context, tx *bus.Tx, msg bus.Received[twopc.Decision]) error {
	d := msg.Data
	outcome := twopc.Committed
	if msg.Type == twopc.AbortTransaction {
		outcome = twopc.Aborted
	}
	state, err := preparedState(ctx, tx, "twopc_order_prepared", d.TxID)
	if err != nil {
		return err
	}
	switch {
	case state == outcome:
		tx.Note("order %s: %s already applied; acknowledged again", d.TxID, outcome)
	case state == "PREPARED" || (state == "" && outcome == twopc.Aborted):
		_, err := tx.ExecContext(ctx, `INSERT INTO twopc_order_prepared (tx_id, state) VALUES (?, ?)
			ON CONFLICT (tx_id) DO UPDATE SET state = excluded.state`, d.TxID, outcome)
		if err != nil {
			return fmt.Errorf("apply %s to order %s: %w", outcome, d.TxID, err)
		}
		to, reason := contract.Approved, ""
		if outcome == twopc.Aborted {
			to, reason = contract.Rejected, d.Reason
		}
		if err := m.finish(ctx, tx, &msg.Envelope, d.TxID, to, reason); err != nil {
			return err
		}
	default:
		return fmt.Errorf("order %s: %s of a transaction recorded %q", d.TxID, outcome, state)
	}
	return m.replyTo(ctx, tx, msg.Envelope, twopc.Ack,
		twopc.Acknowledgement{TxID: d.TxID, Participant: twopc.ParticipantOrder, Outcome: outcome})
}

// replyTo sends a participant's reply to the topic the command names.
func (m *Module) replyTo(ctx context.Context, tx *bus.Tx, cmd bus.Envelope, typ string, payload any) error {
	if cmd.ReplyTo == "" {
		return fmt.Errorf("%s %s names no reply topic", cmd.Type, cmd.ID)
	}
	return tx.Emit(ctx, cmd.Caused(cmd.ReplyTo, typ, payload))
}
