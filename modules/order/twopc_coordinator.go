package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/order/contract"
	"sagalab/modules/shared/twopc"
	"sagalab/storage"
)

// The two-phase commit coordinator lives in the Order service. It runs
// Create Order as one distributed transaction over the bus: PREPARE to the
// Order and Customer participants, their votes, the decision written to its
// log (twopc_log in order.db) with the messages that carry it, and the
// participants' acknowledgements. It is a consumer of its own
// (contract.Coordinator) so that it can be down while the participants are
// not: then the participants that voted yes stay prepared and locked,
// which is the point.

// Coordinator log states.
const (
	txPreparing = "PREPARING"
	txCommitted = twopc.Committed
	txAborted   = twopc.Aborted
)

// logEntry is a row of the coordinator's decision log.
type logEntry struct {
	TxID                  string
	State, Reason         string
	OrderVote, CustVote   string
	OrderAcked, CustAcked bool
	CustomerID            string
}

// participantTopics maps each participant to the topic of its commands.
var participantTopics = map[string]string{
	twopc.ParticipantOrder:    contract.CommandsTopic,
	twopc.ParticipantCustomer: customercontract.CommandsTopic,
}

// subscribeCoordinator registers the coordinator's handlers.
func (m *Module) subscribeCoordinator(c *bus.Consumer) {
	bus.Handle(c, contract.CoordinatorTopic, twopc.VoteCommit, m.onVote)
	bus.Handle(c, contract.CoordinatorTopic, twopc.VoteAbort, m.onVote)
	bus.Handle(c, contract.CoordinatorTopic, twopc.Ack, m.onAck)
	bus.Handle(c, contract.CoordinatorTopic, twopc.QueryDecision, m.onQueryDecision)
}

// beginTransaction is the coordinator's first local transaction: the order
// stored PENDING, the transaction logged PREPARING, and a PREPARE to each
// participant, in one commit.
func (m *Module) beginTransaction(ctx context.Context, tx *bus.Tx, o contract.Order) error {
	if err := m.insertOrder(ctx, tx, o, 0); err != nil {
		return err
	}
	deadline := o.CreatedAt.Add(m.cfg.SagaTimeout).UnixNano()
	_, err := tx.ExecContext(ctx, `INSERT INTO twopc_log (tx_id, state, deadline_at, created_at) VALUES (?, ?, ?, ?)`,
		o.ID, txPreparing, deadline, o.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("log transaction %s: %w", o.ID, err)
	}
	return tx.Emit(ctx,
		bus.Message{Topic: contract.CommandsTopic, Type: contract.PrepareCreateOrder, CorrelationID: o.ID,
			ReplyTo: contract.CoordinatorTopic, Payload: contract.PrepareCreateOrderCommand{OrderID: o.ID},
			Effect: fmt.Sprintf("order %s stored PENDING; transaction logged PREPARING; PREPARE sent to both participants", o.ID)},
		bus.Message{Topic: customercontract.CommandsTopic, Type: customercontract.PrepareReserveCredit, CorrelationID: o.ID,
			ReplyTo: contract.CoordinatorTopic,
			Payload: customercontract.PrepareReserveCreditCommand{CustomerID: o.CustomerID, OrderID: o.ID, OrderTotal: o.OrderTotal}},
	)
}

func (m *Module) loadEntry(ctx context.Context, q storage.Querier, id string) (logEntry, bool, error) {
	var e logEntry
	var oa, ca int
	err := q.QueryRowContext(ctx, `SELECT l.tx_id, l.state, l.reason, l.order_vote, l.customer_vote, l.order_ack, l.customer_ack,
		o.customer_id FROM twopc_log l JOIN orders o ON o.id = l.tx_id WHERE l.tx_id = ?`, id).
		Scan(&e.TxID, &e.State, &e.Reason, &e.OrderVote, &e.CustVote, &oa, &ca, &e.CustomerID)
	if errors.Is(err, sql.ErrNoRows) {
		return logEntry{}, false, nil
	}
	if err != nil {
		return logEntry{}, false, fmt.Errorf("read decision log of %s: %w", id, err)
	}
	e.OrderAcked, e.CustAcked = oa == 1, ca == 1
	return e, true, nil
}

// voteColumn is the log column of a participant's vote.
func voteColumn(participant string) (string, error) {
	switch participant {
	case twopc.ParticipantOrder:
		return "order_vote", nil
	case twopc.ParticipantCustomer:
		return "customer_vote", nil
	}
	return "", fmt.Errorf("no participant %q", participant)
}

// onVote records a participant's vote. The first no aborts the
// transaction; the last yes commits it. A vote for a transaction already
// decided changes nothing: the decision went to every participant.
func (m *Module) onVote(ctx context.Context, tx *bus.Tx, msg bus.Received[twopc.Vote]) error {
	v := msg.Data
	col, err := voteColumn(v.Participant)
	if err != nil {
		return err
	}
	e, ok, err := m.loadEntry(ctx, tx, v.TxID)
	if err != nil {
		return err
	}
	if !ok {
		tx.Note("no transaction %s in the decision log: vote ignored", v.TxID)
		return nil
	}
	vote := "COMMIT"
	if msg.Type == twopc.VoteAbort {
		vote = "ABORT"
	}
	if e.State != txPreparing {
		tx.Note("%s votes %s on %s, already decided %s: nothing to do", v.Participant, vote, v.TxID, e.State)
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE twopc_log SET `+col+` = ? WHERE tx_id = ?`, vote, v.TxID); err != nil {
		return fmt.Errorf("record vote on %s: %w", v.TxID, err)
	}
	if v.Participant == twopc.ParticipantOrder {
		e.OrderVote = vote
	} else {
		e.CustVote = vote
	}
	switch {
	case vote == "ABORT":
		tx.Note("%s votes ABORT (%s)", v.Participant, v.Reason)
		return m.decide(ctx, tx, e, txAborted, v.Reason)
	case e.OrderVote == "COMMIT" && e.CustVote == "COMMIT":
		tx.Note("%s votes COMMIT: every participant voted yes", v.Participant)
		return m.decide(ctx, tx, e, txCommitted, "")
	}
	tx.Note("%s votes COMMIT; waiting for the other vote", v.Participant)
	return nil
}

// decide logs the decision on an undecided transaction and sends it to
// every participant, in the same local transaction: once logged, the
// decision is final and will reach them.
func (m *Module) decide(ctx context.Context, tx *bus.Tx, e logEntry, outcome, reason string) error {
	res, err := tx.ExecContext(ctx, `UPDATE twopc_log SET state = ?, reason = ?, decided_at = ? WHERE tx_id = ? AND state = ?`,
		outcome, reason, m.cfg.Now().UnixNano(), e.TxID, txPreparing)
	if err != nil {
		return fmt.Errorf("log decision on %s: %w", e.TxID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	tx.Note("decision logged: %s", outcome)
	e.State, e.Reason = outcome, reason
	return m.sendDecision(ctx, tx, e, twopc.ParticipantOrder, twopc.ParticipantCustomer)
}

// sendDecision sends the logged decision on e to participants.
func (m *Module) sendDecision(ctx context.Context, tx *bus.Tx, e logEntry, participants ...string) error {
	typ := twopc.CommitTransaction
	if e.State == txAborted {
		typ = twopc.AbortTransaction
	}
	for _, p := range participants {
		msg := bus.Message{Topic: participantTopics[p], Type: typ, CorrelationID: e.TxID, ReplyTo: contract.CoordinatorTopic,
			Payload: twopc.Decision{TxID: e.TxID, Reason: e.Reason}}
		if err := tx.Emit(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

// onAck records a participant's acknowledgement; once both acknowledged,
// the transaction is over.
func (m *Module) onAck(ctx context.Context, tx *bus.Tx, msg bus.Received[twopc.Acknowledgement]) error {
	a := msg.Data
	col := map[string]string{twopc.ParticipantOrder: "order_ack", twopc.ParticipantCustomer: "customer_ack"}[a.Participant]
	if col == "" {
		return fmt.Errorf("ack from no participant %q", a.Participant)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE twopc_log SET `+col+` = 1 WHERE tx_id = ?`, a.TxID); err != nil {
		return fmt.Errorf("record ack on %s: %w", a.TxID, err)
	}
	e, ok, err := m.loadEntry(ctx, tx, a.TxID)
	if err != nil || !ok {
		return err
	}
	if e.OrderAcked && e.CustAcked {
		tx.Note("%s acknowledged %s: both participants did, the transaction is complete", a.Participant, a.Outcome)
	} else {
		tx.Note("%s acknowledged %s", a.Participant, a.Outcome)
	}
	return nil
}

// onQueryDecision answers a prepared participant that asks what was
// decided: the decision, if there is one; ABORT for a transaction the log
// does not know (presumed abort); nothing while undecided, since a
// coordinator that has not decided cannot answer.
func (m *Module) onQueryDecision(ctx context.Context, tx *bus.Tx, msg bus.Received[twopc.Query]) error {
	q := msg.Data
	if _, ok := participantTopics[q.Participant]; !ok {
		return fmt.Errorf("decision query from no participant %q", q.Participant)
	}
	e, ok, err := m.loadEntry(ctx, tx, q.TxID)
	switch {
	case err != nil:
		return err
	case !ok:
		tx.Note("no transaction %s in the log: presumed aborted", q.TxID)
		e = logEntry{TxID: q.TxID, State: txAborted}
	case e.State == txPreparing:
		tx.Note("%s asks about %s: not decided yet, it must wait", q.Participant, q.TxID)
		return nil
	default:
		tx.Note("%s asks about %s: decided %s, sent again", q.Participant, q.TxID, e.State)
	}
	return m.sendDecision(ctx, tx, e, q.Participant)
}

// Recover finishes what the decision log holds after a restart: it sends
// each logged decision again to the participants that have not
// acknowledged it. Participants apply a decision once; a second copy is
// acknowledged again and changes nothing.
func (m *Module) Recover(ctx context.Context) error {
	err := m.eachLogged(ctx, `SELECT tx_id FROM twopc_log
		WHERE state != 'PREPARING' AND (order_ack = 0 OR customer_ack = 0) ORDER BY created_at LIMIT 1000`, nil,
		func(tx *bus.Tx, e logEntry) error {
			var unacked []string
			if !e.OrderAcked {
				unacked = append(unacked, twopc.ParticipantOrder)
			}
			if !e.CustAcked {
				unacked = append(unacked, twopc.ParticipantCustomer)
			}
			m.log.Info("two-phase commit: decision sent again after a restart", "tx", e.TxID, "decision", e.State)
			tx.Note("restart: decision %s on %s sent again", e.State, e.TxID)
			return m.sendDecision(ctx, tx, e, unacked...)
		})
	if err != nil {
		return fmt.Errorf("recover two-phase commits: %w", err)
	}
	return nil
}

// eachLogged runs fn, in one local transaction, on each decision-log entry
// whose id query selects.
func (m *Module) eachLogged(ctx context.Context, query string, args []any, fn func(tx *bus.Tx, e logEntry) error) error {
	ids, err := storage.QueryStrings(ctx, m.db.Reader(), query, args...)
	if err != nil || len(ids) == 0 {
		return err
	}
	return m.out.Write(ctx, func(tx *bus.Tx) error {
		for _, id := range ids {
			e, ok, err := m.loadEntry(ctx, tx, id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if err := fn(tx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

// expireTransactions aborts, with reason TIMEOUT, every undecided
// transaction past its deadline: a participant that never votes must not
// hold the others' locks for ever. Only an undecided transaction may
// abort; once a decision is logged it stands.
func (m *Module) expireTransactions(ctx context.Context) error {
	err := m.eachLogged(ctx, `SELECT tx_id FROM twopc_log WHERE state = 'PREPARING' AND deadline_at <= ?
		ORDER BY deadline_at LIMIT 100`, []any{m.cfg.Now().UnixNano()},
		func(tx *bus.Tx, e logEntry) error {
			m.log.Info("two-phase commit timed out", "tx", e.TxID)
			return m.decide(ctx, tx, e, txAborted, contract.ReasonTimeout)
		})
	if err != nil {
		return fmt.Errorf("overdue two-phase commits: %w", err)
	}
	return nil
}
