// Package twopc is the two-phase commit protocol spoken between the Order
// service's coordinator and the participants in the Order and Customer
// services: the message types both sides know, and their payloads. Each
// participant's PREPARE command is its own (the Order service's
// PrepareCreateOrder, the Customer service's PrepareReserveCredit); the rest
// is common.
//
// Phase 1: the coordinator sends PREPARE to every participant; each
// participant writes its change as prepared, holds a lock on what it
// touched and votes VoteCommit, or refuses with VoteAbort. Phase 2: the
// coordinator logs its decision and sends CommitTransaction (every vote was
// yes) or AbortTransaction; each participant applies it, releases its lock
// and answers Ack. A participant that stays prepared too long sends
// QueryDecision; the coordinator answers with its decision, if it has one.
package twopc

// Message types. Commands (the decision) go to a participant's commands
// topic; replies (votes, acknowledgements, queries) to the coordinator's.
const (
	CommitTransaction = "CommitTransaction"
	AbortTransaction  = "AbortTransaction"
	VoteCommit        = "VoteCommit"
	VoteAbort         = "VoteAbort"
	Ack               = "Ack"
	QueryDecision     = "QueryDecision"
)

// Participants.
const (
	ParticipantOrder    = "order"
	ParticipantCustomer = "customer"
)

// Decision is the payload of CommitTransaction and AbortTransaction.
type Decision struct {
	// TxID is the transaction: the order's id.
	TxID string `json:"txId"`
	// Reason says why the transaction aborts: the refusing participant's
	// reason, or TIMEOUT.
	Reason string `json:"reason,omitempty"`
}

// Vote is the payload of VoteCommit and VoteAbort.
type Vote struct {
	TxID        string `json:"txId"`
	Participant string `json:"participant"`
	// Reason says why a participant votes to abort.
	Reason string `json:"reason,omitempty"`
}

// Acknowledgement is the payload of Ack: a participant applied the decision.
type Acknowledgement struct {
	TxID        string `json:"txId"`
	Participant string `json:"participant"`
	// Outcome is COMMITTED or ABORTED.
	Outcome string `json:"outcome"`
}

// Query is the payload of QueryDecision: a prepared participant asks what
// was decided.
type Query struct {
	TxID        string `json:"txId"`
	Participant string `json:"participant"`
}

// Outcomes of a transaction.
const (
	Committed = "COMMITTED"
	Aborted   = "ABORTED"
)
