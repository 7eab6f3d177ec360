package cmd

import (
	"strings"
	"testing"

	"sagalab/bus"
	"sagalab/cmd/internal/scenario"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/twopc"
)

// TestExplainTwoPhaseCommit checks that no message of an order coordinated
// by two-phase commit is explained as a saga's step.
func TestExplainTwoPhaseCommit(t *testing.T) {
	types := []string{ordercontract.OrderCreated, ordercontract.PrepareCreateOrder,
		customercontract.PrepareReserveCredit, twopc.VoteCommit, twopc.VoteAbort, twopc.CommitTransaction,
		twopc.AbortTransaction, twopc.Ack, twopc.QueryDecision, customercontract.CustomerCreditReserved,
		ordercontract.OrderApproved, ordercontract.OrderRejected, ordercontract.OrderCancelled,
		customercontract.CustomerCreditReleased}
	for _, typ := range types {
		st := bus.Stepped{Envelope: bus.Envelope{Type: typ, Topic: "order.events",
			Payload: []byte(`{"reason":"TIMEOUT"}`)}}
		got := explainDelivery(st, ordercontract.TwoPhaseCommit)
		for _, saga := range []string{"saga", "T2", "T3", "orchestrat", "choreography:"} {
			if strings.Contains(got, saga) {
				t.Errorf("%s under two-phase commit is explained with %q: %s", typ, saga, got)
			}
		}
	}
	cancel := explainAction(scenario.Event{Kind: "cancel"}, ordercontract.TwoPhaseCommit)
	if strings.Contains(cancel, "saga") {
		t.Errorf("a cancel under two-phase commit is explained as a saga's: %s", cancel)
	}
}
