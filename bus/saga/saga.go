// Package saga is a small orchestration engine: a saga definition is a list
// of steps, each a local transaction or a command to a participant, with the
// replies it expects and an optional compensation. Saga instances are
// persistent state machines: an instance, its step and its data change in the
// same local transaction as the step's effects and the command it sends
// (through the outbox), so a crash never separates them.
//
// A definition reads like the Eventuate DSL it follows:
//
//	step "create order"    local: create PENDING      compensation: reject
//	step "reserve credit"  command ReserveCredit      replies: Reserved ✓, LimitExceeded ✗, NotFound ✗
//	                                                  compensation command: ReleaseCredit
//	step "approve order"   local: approve
//
// and is written with constructors (see the Order service's sagas.go):
//
//	saga.Local("create order", create).CompensatedBy(reject)
//	saga.Call("reserve credit", reserveCredit,
//		saga.Success[D](CustomerCreditReserved),
//		saga.Failure(CustomerCreditLimitExceeded, recordReason)).CompensatedBy(releaseCredit)
//
// A failure reply compensates the steps before it, newest first. A step that
// gets no reply before its deadline either compensates (the step's own
// compensation command included, since the participant may yet act on the
// command) or, if built with RetryOnTimeout, sends its command again. A
// success reply that arrives after the saga compensated triggers that
// step's compensation command again, so a late participant cannot leave
// anything behind.
package saga

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"sagalab/bus"
	"sagalab/storage"
)

// State is a saga instance's state.
type State string

// Saga states.
const (
	Running     State = "RUNNING"     // waiting for a reply
	Completed   State = "COMPLETED"   // every step succeeded
	Compensated State = "COMPENSATED" // a step failed or timed out; compensations ran
)

// Definition is a saga type whose data is D.
type Definition[D any] struct {
	Type  string
	Steps []Step[D]
	// OnTimeout, if set, updates the data before a timed-out saga
	// compensates (to record the reason, say).
	OnTimeout func(data *D)
}

// Config wires an Engine.
type Config struct {
	DB     *storage.DB
	Outbox *bus.Outbox
	// RepliesTopic is where participants send their replies.
	RepliesTopic string
	// Timeout is how long a step waits for its reply.
	Timeout time.Duration
	NewID   func() string
	Now     func() time.Time
}

// Engine runs the sagas of one orchestrator (one module).
type Engine struct {
	cfg   Config
	defs  map[string]runner
	cache cache
}

// NewEngine creates an engine; register definitions with Register.
func NewEngine(cfg Config) *Engine {
	return &Engine{cfg: cfg, defs: map[string]runner{}}
}

// runner is a registered saga type with its data type erased.
type runner interface {
	advance(ctx context.Context, e *Engine, tx *bus.Tx, in *instance, from int) error
	onReply(ctx context.Context, e *Engine, tx *bus.Tx, in *instance, reply bus.Envelope) error
	onDeadline(ctx context.Context, e *Engine, tx *bus.Tx, in *instance) error
	stepName(i int) string
	steps() int
}

// Saga is a saga type registered with an engine: Start runs new instances
// of it, with data of its type.
type Saga[D any] struct {
	engine    *Engine
	typ       string
	plan      []step[D]
	onTimeout func(data *D)
}

// Register adds the saga type def to e and returns it. It panics on a
// definition that cannot run (no type, no steps, a step without a name,
// a type registered twice): a programming error.
func Register[D any](e *Engine, def Definition[D]) *Saga[D] {
	if def.Type == "" || len(def.Steps) == 0 {
		panic(fmt.Sprintf("saga: definition %q needs a type and steps", def.Type))
	}
	if _, dup := e.defs[def.Type]; dup {
		panic(fmt.Sprintf("saga: type %q registered twice", def.Type))
	}
	s := &Saga[D]{engine: e, typ: def.Type, onTimeout: def.OnTimeout}
	for _, st := range def.Steps {
		spec := st.spec()
		if spec.name == "" {
			panic(fmt.Sprintf("saga %s: a step has no name", def.Type))
		}
		s.plan = append(s.plan, spec)
	}
	e.defs[def.Type] = s
	return s
}

// Type is the saga type's name.
func (s *Saga[D]) Type() string { return s.typ }

// Start creates an instance of the saga for correlationID with data and
// runs its first steps inside tx. The saga's id is ID(correlationID, type).
func (s *Saga[D]) Start(ctx context.Context, tx *bus.Tx, correlationID string, data D) (string, error) {
	e := s.engine
	// Encoded here, and decoded by the first steps, as every later handling
	// will: data that does not survive JSON fails the start, not a reply,
	// and the steps work on a copy of the caller's value.
	raw, err := json.Marshal(data)
	if err != nil {
		return "", fmt.Errorf("start %s saga: encode data: %w", s.typ, err)
	}
	now := e.cfg.Now()
	in := &instance{ID: ID(correlationID, s.typ), Type: s.typ, CorrelationID: correlationID, State: Running,
		Data: raw, CreatedAt: now, UpdatedAt: now}
	in.Version = 1 // inserted by flush
	e.log(tx, in, LogStart, "", "", "")
	if err := s.advance(ctx, e, tx, in, 0); err != nil {
		return "", err
	}
	if err := e.flush(ctx, tx, in); err != nil {
		return "", err
	}
	return in.ID, nil
}

// ID is the id of the saga of type typ for correlationID.
func ID(correlationID, typ string) string { return correlationID + "/" + typ }

// HandleReply is the consumer of RepliesTopic: it finds the saga that sent
// the command the reply answers and moves it on.
func (e *Engine) HandleReply(ctx context.Context, tx *bus.Tx, reply bus.Envelope) error {
	in, err := e.instanceByCommand(ctx, tx, reply.CorrelationID, reply.CausationID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // a reply to no command of ours
	}
	if err != nil {
		return err
	}
	r, ok := e.defs[in.Type]
	if !ok {
		return fmt.Errorf("saga %s: unknown type %q", in.ID, in.Type)
	}
	if err := r.onReply(ctx, e, tx, in, reply); err != nil {
		return err
	}
	return e.flush(ctx, tx, in)
}

// instanceByCommand finds the saga of correlationID that sent the command
// with id commandID: the one kept in memory, waiting for its reply, or the
// table's.
func (e *Engine) instanceByCommand(ctx context.Context, tx *bus.Tx, correlationID, commandID string) (*instance, error) {
	for typ := range e.defs {
		if in, ok := e.cache.take(tx.Tx, ID(correlationID, typ), commandID); ok {
			return in, nil
		}
	}
	return instanceByCommand(ctx, tx, correlationID, commandID)
}

// flush writes in (see flush) and keeps it in memory for the reply it
// waits for.
func (e *Engine) flush(ctx context.Context, tx *bus.Tx, in *instance) error {
	if err := flush(ctx, tx, in); err != nil {
		return err
	}
	e.cache.put(tx.Tx, in)
	return nil
}

// ExpireDue handles, in one transaction each, up to limit sagas whose step
// deadline has passed. It returns how many it handled.
func (e *Engine) ExpireDue(ctx context.Context, limit int) (int, error) {
	ids, err := dueInstances(ctx, e.cfg.DB.Reader(), e.cfg.Now(), limit)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		err := e.cfg.Outbox.Write(ctx, func(tx *bus.Tx) error {
			in, err := loadInstance(ctx, tx, id)
			if err != nil {
				return err
			}
			if in.State != Running || in.DeadlineAt.IsZero() || in.DeadlineAt.After(e.cfg.Now()) {
				return nil // it moved on meanwhile
			}
			r, ok := e.defs[in.Type]
			if !ok {
				return fmt.Errorf("saga %s: unknown type %q", in.ID, in.Type)
			}
			if err := r.onDeadline(ctx, e, tx, in); err != nil {
				return err
			}
			return e.flush(ctx, tx, in)
		})
		if err != nil {
			return 0, fmt.Errorf("saga %s deadline: %w", id, err)
		}
	}
	return len(ids), nil
}

func (d *Saga[D]) stepName(i int) string {
	if i < 0 || i >= len(d.plan) {
		return ""
	}
	return d.plan[i].name
}

func (d *Saga[D]) steps() int { return len(d.plan) }

// decode returns the instance's data, decoded once per handling: the
// steps of one handling share it.
func (d *Saga[D]) decode(in *instance) (*D, error) {
	if data, ok := in.data.(*D); ok {
		return data, nil
	}
	var data D
	if err := json.Unmarshal(in.Data, &data); err != nil {
		return nil, fmt.Errorf("saga %s: decode data: %w", in.ID, err)
	}
	in.data = &data
	return &data, nil
}

// save records data in the instance, as its next version; flush encodes
// it.
func (d *Saga[D]) save(e *Engine, in *instance, data *D) error {
	in.data, in.dirty = data, true
	in.UpdatedAt = e.cfg.Now()
	in.Version++ // written by flush
	return nil
}

// advance runs steps from index from: local steps at once, up to the first
// command, which it sends before waiting; past the last step the saga is
// complete.
func (d *Saga[D]) advance(ctx context.Context, e *Engine, tx *bus.Tx, in *instance, from int) error {
	data, err := d.decode(in)
	if err != nil {
		return err
	}
	for i := from; i < len(d.plan); i++ {
		st := d.plan[i]
		in.Step = i
		if st.local != nil {
			if err := st.local(ctx, tx, data); err != nil {
				return fmt.Errorf("saga %s step %q: %w", in.ID, st.name, err)
			}
			e.log(tx, in, LogLocal, st.name, "", "")
			continue
		}
		if err := e.send(ctx, tx, in, st.name, st.command(data), LogCommand); err != nil {
			return err
		}
		return d.save(e, in, data)
	}
	in.State, in.Awaiting, in.DeadlineAt = Completed, "", time.Time{}
	in.Step = len(d.plan)
	e.log(tx, in, LogCompleted, "", "", "")
	return d.save(e, in, data)
}

func (d *Saga[D]) onReply(ctx context.Context, e *Engine, tx *bus.Tx, in *instance, reply bus.Envelope) error {
	step := d.plan[min(in.Step, len(d.plan)-1)]
	if in.State != Running {
		return d.lateReply(ctx, e, tx, in, reply)
	}
	if in.Awaiting != reply.CausationID {
		// A reply to an earlier copy of this step's command still counts.
		if sentBy, _ := commandStep(ctx, tx, in.ID, reply.CausationID); sentBy != step.name {
			return d.lateReply(ctx, e, tx, in, reply)
		}
	}
	r, ok := step.replies[reply.Type]
	if !ok {
		e.log(tx, in, LogUnexpected, step.name, reply.Type, reply.ID)
		return nil
	}
	data, err := d.decode(in)
	if err != nil {
		return err
	}
	if r.record != nil {
		if err := r.record(data, reply); err != nil {
			return fmt.Errorf("saga %s step %q reply %s: %w", in.ID, step.name, reply.Type, err)
		}
	}
	e.log(tx, in, LogReply, step.name, reply.Type, reply.ID)
	if err := d.save(e, in, data); err != nil {
		return err
	}
	if r.failure {
		return d.compensate(ctx, e, tx, in, in.Step-1)
	}
	return d.advance(ctx, e, tx, in, in.Step+1)
}

// lateReply handles a reply the saga no longer waits for. A success from a
// step that has a compensation command, after the saga compensated, means
// the participant acted late: undo it again.
func (d *Saga[D]) lateReply(ctx context.Context, e *Engine, tx *bus.Tx, in *instance, reply bus.Envelope) error {
	stepName, _ := commandStep(ctx, tx, in.ID, reply.CausationID)
	e.log(tx, in, LogLateReply, stepName, reply.Type, reply.ID)
	if in.State != Compensated {
		return nil
	}
	for _, st := range d.plan {
		if st.name != stepName || st.compensationCommand == nil {
			continue
		}
		if r, ok := st.replies[reply.Type]; !ok || r.failure {
			return nil
		}
		data, err := d.decode(in)
		if err != nil {
			return err
		}
		return e.send(ctx, tx, in, st.name, st.compensationCommand(data), LogCompensationCommand)
	}
	return nil
}

func (d *Saga[D]) onDeadline(ctx context.Context, e *Engine, tx *bus.Tx, in *instance) error {
	step := d.plan[in.Step]
	e.log(tx, in, LogTimeout, step.name, "", "")
	data, err := d.decode(in)
	if err != nil {
		return err
	}
	if step.retry {
		if err := e.send(ctx, tx, in, step.name, step.command(data), LogCommandAgain); err != nil {
			return err
		}
		return d.save(e, in, data)
	}
	if d.onTimeout != nil {
		d.onTimeout(data)
	}
	if err := d.save(e, in, data); err != nil {
		return err
	}
	// The participant may still act on the command: compensate this step too.
	return d.compensate(ctx, e, tx, in, in.Step)
}

// compensate runs the compensations of steps from down to 0 and ends the
// saga Compensated.
func (d *Saga[D]) compensate(ctx context.Context, e *Engine, tx *bus.Tx, in *instance, from int) error {
	data, err := d.decode(in)
	if err != nil {
		return err
	}
	in.Compensating = true
	for i := from; i >= 0; i-- {
		st := d.plan[i]
		if st.compensation != nil {
			if err := st.compensation(ctx, tx, data); err != nil {
				return fmt.Errorf("saga %s compensating %q: %w", in.ID, st.name, err)
			}
			e.log(tx, in, LogCompensation, st.name, "", "")
		}
		if st.compensationCommand != nil {
			if err := e.send(ctx, tx, in, st.name, st.compensationCommand(data), LogCompensationCommand); err != nil {
				return err
			}
		}
	}
	in.State, in.Awaiting, in.DeadlineAt = Compensated, "", time.Time{}
	e.log(tx, in, LogCompensated, "", "", "")
	return d.save(e, in, data)
}

// send writes a command to the outbox, records it, and (for a step's own
// command) makes the saga wait for its reply until the deadline.
func (e *Engine) send(ctx context.Context, tx *bus.Tx, in *instance, step string, c Command, kind LogKind) error {
	id := e.cfg.NewID()
	msg := bus.Message{ID: id, Topic: c.Topic, Type: c.Type, CorrelationID: in.CorrelationID,
		ReplyTo: e.cfg.RepliesTopic, Payload: c.Payload}
	if tx.Handling() == nil { // not caused by a message: say what the transaction did
		msg.Effect = fmt.Sprintf("%s saga: step %q sends %s %s", in.Type, step, kind, c.Type)
	}
	if err := tx.Emit(ctx, msg); err != nil {
		return err
	}
	if kind != LogCompensationCommand {
		in.Awaiting = id
		in.DeadlineAt = e.cfg.Now().Add(e.cfg.Timeout)
	}
	e.log(tx, in, kind, step, c.Type, id)
	return nil
}
