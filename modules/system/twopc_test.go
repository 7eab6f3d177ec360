package system

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/twopc"
	"sagalab/storage"
)

func amt(t *testing.T, s string) money.Money {
	t.Helper()
	m, err := money.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

const twoPC = ordercontract.TwoPhaseCommit

// prepared counts the customer's prepared (locked) two-phase commits.
func prepared(t *testing.T, s *System) int {
	t.Helper()
	return count(t, filepath.Join(s.DataDir(), "customer.db"), `SELECT count(*) FROM twopc_prepared WHERE state = 'PREPARED'`)
}

// logState is the coordinator's logged state of transaction id.
func logState(t *testing.T, s *System, id string) string {
	t.Helper()
	var state string
	err := s.files["order"].Reader().QueryRowContext(context.Background(),
		`SELECT state || ':' || order_ack || customer_ack FROM twopc_log WHERE tx_id = ?`, id).Scan(&state)
	if err != nil {
		t.Fatal(err)
	}
	return state
}

// The happy path commits: PREPARE, two yes votes, COMMIT logged, both
// acknowledgements; the credit is reserved once and no lock remains. Each
// refusal aborts with the participant's reason and changes no credit.
func TestTwoPhaseCommit(t *testing.T) {
	s := start(t, Config{SagaMode: twoPC})
	c := mustCustomer(t, s, "John", "15.00")
	o := final(t, s, mustOrder(t, s, c, "10.00", ""))
	if o.State != ordercontract.Approved || o.SagaMode != twoPC {
		t.Fatalf("order is %s in %s, want APPROVED in 2pc", o.State, o.SagaMode)
	}
	settled(t, s)
	if got := logState(t, s, o.ID); got != "COMMITTED:11" {
		t.Errorf("decision log says %s, want COMMITTED:11 (both acknowledged)", got)
	}
	for _, tc := range []struct{ customer, total, reason string }{
		{c, "6.00", ordercontract.ReasonInsufficientCredit},
		{"nobody", "1.00", ordercontract.ReasonUnknownCustomer},
	} {
		r := final(t, s, mustOrder(t, s, tc.customer, tc.total, twoPC))
		if r.State != ordercontract.Rejected || r.RejectionReason != tc.reason {
			t.Errorf("order of %s for %s is %s/%s, want REJECTED/%s", tc.customer, tc.total, r.State, r.RejectionReason, tc.reason)
		}
		settled(t, s)
		if got := logState(t, s, r.ID); got != "ABORTED:11" {
			t.Errorf("decision log says %s, want ABORTED:11", got)
		}
	}
	if got := available(t, s, c); got != amt(t, "5.00") {
		t.Errorf("available %s, want 5.00", got)
	}
	if n := prepared(t, s); n != 0 {
		t.Errorf("%d transactions still prepared", n)
	}
	if _, err := s.Orders.Cancel(context.Background(), o.ID); err != nil {
		t.Fatal(err)
	}
	settled(t, s)
	if got := available(t, s, c); got != amt(t, "15.00") {
		t.Errorf("after cancel, available %s, want 15.00", got)
	}
}

// prepareWithCoordinatorDown creates a 2PC order with the coordinator down
// and waits until both participants have voted yes: the customer's credit
// is then locked.
func prepareWithCoordinatorDown(t *testing.T, s *System, customerID, total string) string {
	t.Helper()
	s.Bus.PauseConsumer(ordercontract.Coordinator)
	id := mustOrder(t, s, customerID, total, twoPC)
	eventually(t, "both participants to vote", func() bool {
		return prepared(t, s) == 1 && count(t, filepath.Join(s.DataDir(), "order.db"),
			`SELECT count(*) FROM twopc_order_prepared WHERE state = 'PREPARED'`) == 1
	})
	// A vote recorded is not yet a vote sent: wait until both votes have
	// left their outboxes and only the (paused) coordinator owes them.
	settled(t, s)
	return id
}

// While a prepared transaction holds a customer's credit, no other order of
// that customer can use it, in any mode; the decision releases the lock.
func TestTwoPhaseCommitLocksCredit(t *testing.T) {
	s := start(t, Config{})
	c := mustCustomer(t, s, "John", "15.00")
	other := mustCustomer(t, s, "Mary", "15.00")
	held := prepareWithCoordinatorDown(t, s, c, "10.00")
	for _, mode := range []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration} {
		o := final(t, s, mustOrder(t, s, c, "1.00", mode))
		if o.State != ordercontract.Rejected || o.RejectionReason != ordercontract.ReasonCreditLocked {
			t.Errorf("%s order while locked: %s/%s, want REJECTED/CREDIT_LOCKED", mode, o.State, o.RejectionReason)
		}
	}
	// A 2PC order is refused by the Customer participant at once; with the
	// coordinator down, its order waits for the decision.
	second := mustOrder(t, s, c, "1.00", twoPC)
	eventually(t, "the refusal", func() bool {
		return count(t, filepath.Join(s.DataDir(), "customer.db"),
			`SELECT count(*) FROM twopc_prepared WHERE state = 'REFUSED' AND reason = 'CREDIT_LOCKED'`) == 1
	})
	if o := final(t, s, mustOrder(t, s, other, "1.00", ordercontract.Choreography)); o.State != ordercontract.Approved {
		t.Errorf("another customer's order is %s: the lock is on one customer only", o.State)
	}
	if got := available(t, s, c); got != amt(t, "15.00") {
		t.Errorf("available %s while prepared, want 15.00 (prepared, not applied)", got)
	}
	s.Bus.ResumeConsumer(ordercontract.Coordinator)
	if o := final(t, s, held); o.State != ordercontract.Approved {
		t.Fatalf("held order is %s, want APPROVED", o.State)
	}
	if o := final(t, s, second); o.State != ordercontract.Rejected || o.RejectionReason != ordercontract.ReasonCreditLocked {
		t.Errorf("2pc order while locked: %s/%s, want REJECTED/CREDIT_LOCKED", o.State, o.RejectionReason)
	}
	// The Order service approves on the decision; the Customer participant
	// holds the lock until the decision reaches it too.
	eventually(t, "the Customer participant to apply the commit", func() bool { return prepared(t, s) == 0 })
	if o := final(t, s, mustOrder(t, s, c, "5.00", ordercontract.Orchestration)); o.State != ordercontract.Approved {
		t.Errorf("order after the decision is %s, want APPROVED", o.State)
	}
	settled(t, s)
	if got := available(t, s, c); got != 0 {
		t.Errorf("available %s, want 0.00", got)
	}
}

// A coordinator that crashes after both participants voted yes finishes the
// transaction when it is back, from its log and the votes waiting for it.
func TestTwoPhaseCommitCoordinatorRestart(t *testing.T) {
	s := start(t, Config{})
	c := mustCustomer(t, s, "John", "15.00")
	id := prepareWithCoordinatorDown(t, s, c, "10.00")
	s = restart(t, s, Config{})
	if o := final(t, s, id); o.State != ordercontract.Approved {
		t.Fatalf("order is %s after the restart, want APPROVED", o.State)
	}
	settled(t, s)
	if got, n := available(t, s, c), prepared(t, s); got != amt(t, "5.00") || n != 0 {
		t.Errorf("available %s with %d prepared, want 5.00 and none", got, n)
	}
}

// loseDecisions decides transaction id with the coordinator's messages held,
// then turns the decision's messages to participant topic into a type no one
// handles: they are lost.
func loseDecisions(t *testing.T, s *System, customerID, topic string) string {
	t.Helper()
	id := prepareWithCoordinatorDown(t, s, customerID, "10.00")
	s.Bus.Hold(ordercontract.Module)
	s.Bus.ResumeConsumer(ordercontract.Coordinator)
	eventually(t, "the decision", func() bool { return logState(t, s, id) == "COMMITTED:00" })
	err := s.files["order"].WriteTx(context.Background(), func(tx *storage.Tx) error {
		_, err := tx.ExecContext(context.Background(), `UPDATE outbox SET type = 'Lost'
			WHERE correlation_id = ? AND type = ? AND topic = ?`, id, twopc.CommitTransaction, topic)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// After a restart the coordinator sends again every logged decision that a
// participant did not acknowledge.
func TestTwoPhaseCommitRecoverResendsDecision(t *testing.T) {
	s := start(t, Config{ManualDeadlines: true})
	c := mustCustomer(t, s, "John", "15.00")
	id := loseDecisions(t, s, c, customercontract.CommandsTopic)
	s = restart(t, s, Config{ManualDeadlines: true})
	eventually(t, "the customer to commit", func() bool { return prepared(t, s) == 0 })
	settled(t, s)
	if got := available(t, s, c); got != amt(t, "5.00") {
		t.Errorf("available %s, want 5.00", got)
	}
	if got := logState(t, s, id); got != "COMMITTED:11" {
		t.Errorf("decision log says %s, want COMMITTED:11", got)
	}
}

// A participant prepared too long asks the coordinator, which sends the
// decision again: the lost commit arrives.
func TestTwoPhaseCommitParticipantAsks(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := start(t, Config{ManualDeadlines: true, Now: clock})
	c := mustCustomer(t, s, "John", "15.00")
	id := loseDecisions(t, s, c, customercontract.CommandsTopic)
	s.Bus.Release(ordercontract.Module)
	if o := final(t, s, id); o.State != ordercontract.Approved {
		t.Fatalf("order is %s, want APPROVED", o.State)
	}
	settled(t, s)
	if n := prepared(t, s); n != 1 {
		t.Fatalf("%d prepared, want 1: the commit was lost", n)
	}
	mu.Lock()
	now = now.Add(time.Minute)
	mu.Unlock()
	if err := s.ExpireNow(context.Background()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the customer to commit", func() bool { return prepared(t, s) == 0 })
	settled(t, s)
	if got := available(t, s, c); got != amt(t, "5.00") {
		t.Errorf("available %s, want 5.00", got)
	}
}

// Duplicated and reordered deliveries, and copies of PREPARE and of the
// decision sent again under new ids, change no outcome and no credit.
func TestTwoPhaseCommitDuplicates(t *testing.T) {
	wantStates, wantCredit := sagaOutcome(t, Config{SagaMode: twoPC})
	for _, f := range []bus.Faults{{Duplicate: 1, Redeliver: 1, Seed: 7}, {Reorder: 4, Seed: 3}} {
		states, credit := sagaOutcome(t, Config{SagaMode: twoPC, Faults: Faults{Faults: f}})
		if credit != wantCredit {
			t.Errorf("%s: available credit %s, %s without", f, credit, wantCredit)
		}
		for i := range wantStates {
			if states[i] != wantStates[i] {
				t.Errorf("%s: order %d: %s, %s without", f, i, states[i], wantStates[i])
			}
		}
	}

	s := start(t, Config{SagaMode: twoPC})
	c := mustCustomer(t, s, "John", "15.00")
	o := final(t, s, mustOrder(t, s, c, "10.00", ""))
	settled(t, s)
	err := s.Orders.Outbox().Write(context.Background(), func(tx *bus.Tx) error {
		return tx.Emit(context.Background(),
			bus.Message{Topic: customercontract.CommandsTopic, Type: customercontract.PrepareReserveCredit, CorrelationID: o.ID,
				ReplyTo: ordercontract.CoordinatorTopic, Payload: customercontract.PrepareReserveCreditCommand{
					CustomerID: c, OrderID: o.ID, OrderTotal: o.OrderTotal}},
			bus.Message{Topic: ordercontract.CoordinatorTopic, Type: twopc.QueryDecision, CorrelationID: o.ID,
				Payload: twopc.Query{TxID: o.ID, Participant: twopc.ParticipantCustomer}},
			bus.Message{Topic: ordercontract.CommandsTopic, Type: twopc.CommitTransaction, CorrelationID: o.ID,
				ReplyTo: ordercontract.CoordinatorTopic, Payload: twopc.Decision{TxID: o.ID}})
	})
	if err != nil {
		t.Fatal(err)
	}
	settled(t, s)
	if got := available(t, s, c); got != amt(t, "5.00") {
		t.Errorf("available %s after copies, want 5.00", got)
	}
	if o, _ := s.Orders.Order(context.Background(), o.ID); o.State != ordercontract.Approved {
		t.Errorf("order is %s after copies, want APPROVED", o.State)
	}
	if dls, err := s.Bus.DeadLetters(context.Background()); err != nil || len(dls) > 0 {
		t.Errorf("copies parked %d dead letters (%v), want none", len(dls), err)
	}
}
