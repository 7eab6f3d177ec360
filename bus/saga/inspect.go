package saga

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sagalab/storage"
)

// Info describes a saga instance.
type Info struct {
	ID            string
	Type          string
	CorrelationID string
	State         State
	// Step is the step the saga is at (waiting on, while Running).
	Step         string
	StepIndex    int
	Steps        int
	Compensating bool
	Deadline     time.Time // zero unless Running
	Data         []byte
	Version      int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// LogEntry is one thing that happened to a saga.
type LogEntry struct {
	At          time.Time `json:"at"`
	Step        string    `json:"step"`
	Kind        LogKind   `json:"kind"`
	MessageType string    `json:"messageType,omitempty"`
	MessageID   string    `json:"messageId,omitempty"`
}

// ErrNotFound is returned for a saga that does not exist.
var ErrNotFound = errors.New("saga not found")

func (e *Engine) info(in *instance) Info {
	name := ""
	steps := 0
	if r, ok := e.defs[in.Type]; ok {
		name, steps = r.stepName(in.Step), r.steps()
	}
	return Info{ID: in.ID, Type: in.Type, CorrelationID: in.CorrelationID, State: in.State, Step: name,
		StepIndex: in.Step, Steps: steps, Compensating: in.Compensating, Deadline: in.DeadlineAt, Data: in.Data,
		Version: in.Version, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt}
}

// Sagas returns the sagas of correlationID, oldest first.
func (e *Engine) Sagas(ctx context.Context, correlationID string) ([]Info, error) {
	return e.query(ctx, `WHERE correlation_id = ? ORDER BY created_at, id`, correlationID)
}

// Running returns the sagas still running, oldest first.
func (e *Engine) Running(ctx context.Context) ([]Info, error) {
	return e.query(ctx, `WHERE state = 'RUNNING' ORDER BY created_at, id`)
}

func (e *Engine) query(ctx context.Context, clause string, args ...any) ([]Info, error) {
	ins, err := storage.QueryAll(ctx, e.cfg.DB.Reader(), scanRow, `SELECT `+instanceColumns+` FROM saga_instances `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("list sagas: %w", err)
	}
	var out []Info
	for _, in := range ins {
		out = append(out, e.info(in))
	}
	return out, nil
}

// Saga returns one saga or ErrNotFound.
func (e *Engine) Saga(ctx context.Context, id string) (Info, error) {
	in, err := loadInstance(ctx, e.cfg.DB.Reader(), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, err
	}
	return e.info(in), nil
}

// Log returns what happened to saga id, oldest first.
func (e *Engine) Log(ctx context.Context, id string) ([]LogEntry, error) {
	rows, err := readLog(ctx, e.cfg.DB.Reader(), id)
	if err != nil {
		return nil, err
	}
	out := make([]LogEntry, len(rows))
	for i, r := range rows {
		out[i] = r.entry()
	}
	return out, nil
}
