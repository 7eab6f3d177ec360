package cmd

import (
	"fmt"
	"strings"

	"sagalab/bus"
	"sagalab/cmd/internal/scenario"
	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/twopc"
)

// modeTitle names how orders of mode are coordinated.
func modeTitle(mode ordercontract.SagaMode) string {
	if mode == ordercontract.TwoPhaseCommit {
		return "two-phase commit"
	}
	return string(mode) + " saga"
}

// explainAction says which idea from the slides an action shows.
func explainAction(e scenario.Event, mode ordercontract.SagaMode) string {
	if e.Mode != "" {
		mode = e.Mode
	}
	orch := mode == ordercontract.Orchestration
	switch e.Kind {
	case "customer":
		return "A local transaction in the Customer service starts " + e.Ref + "'s event stream with CustomerCreated. " +
			"Saving the event is one insert, and that row is also the message the relay will publish: " +
			"the event store acts as the broker."
	case "order":
		if mode == ordercontract.TwoPhaseCommit {
			return "Two-phase commit, not a saga: in one local transaction the Order service's coordinator " +
				"stores the order PENDING, logs the transaction PREPARING in its decision log, and writes PREPARE " +
				"to both participants: PrepareCreateOrder to the Order service's own participant, " +
				"PrepareReserveCredit to the Customer service."
		}
		if orch {
			return "T1 of the Create Order saga, orchestrated: in one local transaction the Order service stores " +
				"the order PENDING, creates the saga instance (a persistent state machine) and writes OrderCreated " +
				"and the command ReserveCredit to its outbox. Both or neither: no 2PC needed."
		}
		return "T1 of the Create Order saga, choreographed: in one local transaction the Order service stores the " +
			"order PENDING and writes OrderCreated to its outbox, so the state change and the message happen together " +
			"or not at all."
	case "cancel":
		if mode == ordercontract.TwoPhaseCommit {
			return "Cancel of an order committed by two-phase commit: a local transaction moves it from APPROVED " +
				"to CANCELLED and writes OrderCancelled; the Customer service will react by releasing the " +
				"credit, as in choreography."
		}
		if orch {
			return "The Cancel Order saga: the orchestrator cancels the order (its point of no return) and, in the " +
				"same local transaction, sends the command ReleaseCredit: the compensation of the reservation."
		}
		return "Cancel: a local transaction moves the order from APPROVED to CANCELLED and writes OrderCancelled; " +
			"the Customer service will react by releasing the credit: the compensation of the reservation."
	case "crash":
		return "The process crashed right after the commit, before the relay published anything. sagalab starts " +
			"again on the same data: the outbox still holds the message, so the relay publishes it now."
	case "crash-coordinator":
		return "The coordinator crashed after both participants voted yes, before it logged a decision. A " +
			"participant that voted yes may no longer decide alone: it keeps its change prepared and its lock " +
			"held until the coordinator answers. This is how two-phase commit blocks."
	case "pause":
		return "The " + e.Ref + " module is down. Messages for it are not lost: they stay in their senders' " +
			"outboxes, and other modules carry on."
	case "resume":
		if e.Ref == ordercontract.Coordinator {
			return "The coordinator is back. The votes waited for it on the bus: it records them, logs its " +
				"decision and sends it; the participants apply it and release their locks."
		}
		return "The " + e.Ref + " module is back: it handles, in order of arrival, every message it missed."
	case "wait":
		return "Time passes (" + strings.TrimSuffix(e.Text, " pass") + "). Sagas whose deadline passed time out: " +
			"the Order service compensates them (REJECTED, reason TIMEOUT)."
	case "events":
		return "Event sourcing: the customer is stored as its events. Its state is rebuilt by replaying them, " +
			"starting from the latest snapshot."
	case "compare":
		return "Queries across services: API composition calls each service's query API and joins in memory; " +
			"CQRS answers from a view database kept up to date by events."
	}
	return e.Text
}

// explainDelivery says what the delivery of one message shows; mode is how
// the message's order is coordinated.
func explainDelivery(st bus.Stepped, mode ordercontract.SagaMode) string {
	orch := mode == ordercontract.Orchestration
	tpc := mode == ordercontract.TwoPhaseCommit
	reply := strings.HasSuffix(st.Topic, ".replies")
	var s string
	switch st.Type {
	case customercontract.CustomerCreated:
		s = "The relay publishes CustomerCreated; the CQRS view records the new customer in its own database."
	case ordercontract.OrderCreated:
		if tpc {
			s = "OrderCreated is published under two-phase commit too, but no participant acts on it: the " +
				"Customer service waits for its PREPARE. Only the CQRS view reads it and records the new order."
		} else if orch {
			s = "OrderCreated is published in both modes. In orchestration the Customer service does not react " +
				"to it (it waits for a command); the CQRS view records the new order."
		} else {
			s = "T2, choreography: the Customer service reacts to OrderCreated. Its local transaction checks the " +
				"credit and appends the outcome to the customer's event stream, which is also its outbox. " +
				"The CQRS view records the new order."
		}
	case customercontract.ReserveCredit:
		s = "T2, orchestration: the command ReserveCredit reaches the Customer service. It reserves credit in a " +
			"local transaction and writes its reply to its outbox; it knows nothing of sagas."
	case ordercontract.PrepareCreateOrder:
		s = "Phase 1, PREPARE: the Order service's participant marks the order prepared (locked PENDING: only " +
			"the decision may move it) and votes."
	case customercontract.PrepareReserveCredit:
		s = "Phase 1, PREPARE: the Customer service checks the credit and writes the reservation as prepared, " +
			"not applied: the customer's credit is locked until the decision. It votes VoteCommit, or VoteAbort " +
			"with its reason."
	case twopc.VoteCommit, twopc.VoteAbort:
		s = "A vote reaches the coordinator, which records it in its decision log. The first no aborts; the last " +
			"yes commits. The decision is logged and sent in one local transaction: once logged, it is final."
	case twopc.CommitTransaction, twopc.AbortTransaction:
		s = "Phase 2: the decision reaches a participant. It applies its prepared change (commit) or drops it " +
			"(abort), releases its lock, and acknowledges."
	case twopc.Ack:
		s = "An acknowledgement: once both participants have acknowledged, the transaction is complete."
	case twopc.QueryDecision:
		s = "A participant prepared for too long asks the coordinator for the decision: it may not decide alone."
	case customercontract.CustomerCreditLocked:
		s = "The customer's credit is locked by a prepared two-phase commit: the orchestrator compensates, " +
			"the order is rejected (CREDIT_LOCKED)."
	case customercontract.ReleaseCredit:
		s = "The compensating command ReleaseCredit: the Customer service gives the credit back, or, if nothing " +
			"was reserved yet, records the release so that a late reservation is refused."
	case customercontract.CustomerCreditReserved:
		switch {
		case reply:
			s = "T3, orchestration: the reply reaches the orchestrator, which records it and runs the saga's last " +
				"step: approve the order."
		case orch:
			s = "The reservation is an event of the customer's stream, published like any message: the view reads " +
				"it, and the Order service leaves it to the orchestrator, which acts on the reply."
		case tpc:
			s = "The committed reservation is an event of the customer's stream, published like any message: " +
				"the view reads it. The Order service does nothing with it: its own participant approved the " +
				"order when COMMIT reached it."
		default:
			s = "T3, choreography: the Order service approves the order in a local transaction that also writes " +
				"OrderApproved."
		}
	case customercontract.CustomerCreditReservationFailed:
		if orch {
			s = "The failed reservation is an event of the customer's stream; the orchestrator acts on the reply."
		} else if strings.Contains(string(st.Payload), customercontract.ReasonCreditLocked) {
			s = "The customer's credit is locked by a prepared two-phase commit: the reservation is refused and " +
				"the Order service rejects the order (CREDIT_LOCKED)."
		} else {
			s = "Not enough credit: the Order service rejects the order, the compensation of T1."
		}
	case customercontract.CustomerCreditLimitExceeded, customercontract.CustomerNotFound:
		s = "A failure reply: the orchestrator compensates the steps before it, newest first: it rejects the order."
	case customercontract.CustomerValidationFailed:
		s = "The Customer service does not know this customer (the Order service cannot check: it has no access " +
			"to the customers' database). The Order service rejects the order."
	case customercontract.CustomerCreditReleased:
		if reply {
			s = "The reply to ReleaseCredit: the orchestrator's Cancel Order saga is complete."
		} else {
			s = "The release is an event of the customer's stream: the credit is back, and the view reads the event."
		}
	case ordercontract.OrderApproved:
		s = "OrderApproved updates the CQRS view."
	case ordercontract.OrderRejected:
		s = "OrderRejected updates the CQRS view."
		if tpc {
			s = "The Order service's participant applied ABORT and wrote OrderRejected; the CQRS view shows the " +
				"rejection. The Customer service has no credit to release: ABORT dropped its prepared " +
				"reservation, if it made one, before it was ever applied."
		} else if !orch && strings.Contains(string(st.Payload), ordercontract.ReasonTimeout) {
			s = "The saga timed out: the Customer service releases any credit the order holds, or marks it so a " +
				"late reservation is refused. The CQRS view shows the rejection."
		}
	case ordercontract.OrderCancelled:
		if orch {
			s = "OrderCancelled updates the CQRS view; the Cancel Order saga releases the credit by command."
		} else if tpc {
			s = "A committed order is cancelled as in choreography, by a local transaction and an event: the " +
				"Customer service releases the order's credit. The CQRS view shows the cancellation."
		} else {
			s = "The compensation, choreographed: the Customer service releases the order's credit. The CQRS view " +
				"shows the cancellation."
		}
	default:
		s = fmt.Sprintf("%s crosses the bus.", st.Type)
	}
	for _, d := range st.Deliveries {
		if d.Duplicate {
			s += " A copy came again (a duplicate, or a lost acknowledgement): the inbox already holds its id, so " +
				"the consumer acknowledges it and changes nothing."
			break
		}
	}
	if len(st.Waiting) > 0 {
		s += fmt.Sprintf(" The %s module is down: it will get the message when it is back.", strings.Join(st.Waiting, " and "))
	}
	return s
}
