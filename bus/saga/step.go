package saga

import (
	"context"

	"sagalab/bus"
)

// Step is one step of a saga, built by Local or Call: a local transaction
// in the orchestrator's database, or a command to a participant, by
// construction.
type Step[D any] interface {
	spec() step[D]
}

// step is a Step's definition; exactly one of local and command is set.
type step[D any] struct {
	name         string
	local        func(ctx context.Context, tx *bus.Tx, data *D) error
	compensation func(ctx context.Context, tx *bus.Tx, data *D) error
	command      func(data *D) Command
	replies      map[string]Reply[D]
	// compensationCommand undoes a participant step; see CallStep.
	compensationCommand func(data *D) Command
	retry               bool
}

// Command is a command a step sends to a participant.
type Command struct {
	Topic   string
	Type    string
	Payload any
}

// LocalStep is a local transaction in the orchestrator's database.
type LocalStep[D any] struct{ s step[D] }

// Local returns a step that runs run in the orchestrator's local
// transaction.
func Local[D any](name string, run func(ctx context.Context, tx *bus.Tx, data *D) error) LocalStep[D] {
	return LocalStep[D]{step[D]{name: name, local: run}}
}

// CompensatedBy returns the step with a compensation that undoes it when a
// later step fails.
func (l LocalStep[D]) CompensatedBy(undo func(ctx context.Context, tx *bus.Tx, data *D) error) LocalStep[D] {
	l.s.compensation = undo
	return l
}

func (l LocalStep[D]) spec() step[D] { return l.s }

// CallStep sends a command to a participant and waits for one of its
// replies.
type CallStep[D any] struct{ s step[D] }

// Call returns a step that sends the command command makes and waits for
// one of replies, each a Success or a Failure.
func Call[D any](name string, command func(data *D) Command, replies ...Reply[D]) CallStep[D] {
	s := step[D]{name: name, command: command, replies: map[string]Reply[D]{}}
	for _, r := range replies {
		s.replies[r.typ] = r
	}
	return CallStep[D]{s}
}

// CompensatedBy returns the step with a compensation command that undoes
// it. The command is sent durably and not waited for, so the participant
// must make it idempotent and accept it before the command it undoes.
func (c CallStep[D]) CompensatedBy(undo func(data *D) Command) CallStep[D] {
	c.s.compensationCommand = undo
	return c
}

// RetryOnTimeout returns the step with a deadline that sends its command
// again instead of compensating: a step after the saga's point of no
// return.
func (c CallStep[D]) RetryOnTimeout() CallStep[D] {
	c.s.retry = true
	return c
}

func (c CallStep[D]) spec() step[D] { return c.s }

// Reply is a reply type a Call step waits for, and what it means.
type Reply[D any] struct {
	typ     string
	failure bool
	record  func(data *D, reply bus.Envelope) error
}

// Success is a reply that moves the saga on to its next step.
func Success[D any](replyType string) Reply[D] { return Reply[D]{typ: replyType} }

// Failure is a reply that makes the saga compensate. record, if not nil,
// updates the saga data from the reply (a failure reason, say) in the same
// transaction.
func Failure[D any](replyType string, record func(data *D, reply bus.Envelope) error) Reply[D] {
	return Reply[D]{typ: replyType, failure: true, record: record}
}
