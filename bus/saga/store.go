package saga

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"sagalab/bus"
	"sagalab/storage"
)

// Migrations create the saga tables; an orchestrator's module appends them
// to its own migrations.
var Migrations = []storage.Migration{{Name: "sagas", SQL: `
CREATE TABLE saga_instances (
	id             TEXT    PRIMARY KEY,
	type           TEXT    NOT NULL,
	correlation_id TEXT    NOT NULL,
	state          TEXT    NOT NULL CHECK (state IN ('RUNNING', 'COMPLETED', 'COMPENSATED')),
	step           INTEGER NOT NULL,
	compensating   INTEGER NOT NULL DEFAULT 0,
	awaiting       TEXT    NOT NULL DEFAULT '',
	deadline_at    INTEGER NOT NULL DEFAULT 0,
	data           TEXT    NOT NULL,
	version        INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL
);
CREATE INDEX saga_instances_correlation ON saga_instances (correlation_id);
CREATE INDEX saga_instances_deadline ON saga_instances (deadline_at) WHERE deadline_at > 0;
CREATE TABLE saga_log (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	saga_id      TEXT    NOT NULL,
	at           INTEGER NOT NULL,
	step         TEXT    NOT NULL,
	kind         TEXT    NOT NULL,
	message_type TEXT    NOT NULL,
	message_id   TEXT    NOT NULL
);
CREATE INDEX saga_log_saga ON saga_log (saga_id);
CREATE INDEX saga_log_message ON saga_log (message_id);`}}

// LogMigrations follow Migrations; an orchestrator's module appends them
// to its migrations after its own. The log is looked up by saga, never
// by message alone (instanceByCommand): its message index went.
var LogMigrations = []storage.Migration{{Name: "saga log without a message index",
	SQL: `DROP INDEX IF EXISTS saga_log_message`}}

// instance is a saga instance as stored.
type instance struct {
	ID            string
	Type          string
	CorrelationID string
	State         State
	Step          int
	Compensating  bool
	Awaiting      string // id of the command whose reply the saga waits for
	DeadlineAt    time.Time
	Data          []byte
	Version       int
	CreatedAt     time.Time
	UpdatedAt     time.Time

	// A handling changes the instance and logs in memory; flush writes it
	// all at the end, with one statement for the instance and one for the
	// log. stored is the version the table holds (0: not inserted yet);
	// pending holds the log entries not written yet.
	stored  int
	pending []logRow
}

// logRow is a saga log entry waiting for flush.
type logRow struct {
	at                   int64
	step                 string
	kind                 LogKind
	messageType, message string
}

const instanceColumns = `id, type, correlation_id, state, step, compensating, awaiting, deadline_at, data, version, created_at, updated_at`

func scanInstance(row interface{ Scan(...any) error }) (*instance, error) {
	var in instance
	var deadline, created, updated int64
	if err := row.Scan(&in.ID, &in.Type, &in.CorrelationID, &in.State, &in.Step, &in.Compensating, &in.Awaiting,
		&deadline, &in.Data, &in.Version, &created, &updated); err != nil {
		return nil, err
	}
	if deadline > 0 {
		in.DeadlineAt = time.Unix(0, deadline)
	}
	in.CreatedAt, in.UpdatedAt = time.Unix(0, created), time.Unix(0, updated)
	in.stored = in.Version
	return &in, nil
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// errConflict means the instance changed since it was loaded.
var errConflict = errors.New("saga instance changed concurrently")

// flush writes what the handling did to in: the instance, inserted or
// updated if it changed (an update only from the version it was loaded
// at), and its pending log entries.
func flush(ctx context.Context, tx storage.Execer, in *instance) error {
	switch {
	case in.stored == 0:
		_, err := tx.ExecContext(ctx, `INSERT INTO saga_instances (`+instanceColumns+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.ID, in.Type, in.CorrelationID, in.State, in.Step,
			in.Compensating, in.Awaiting, unixOrZero(in.DeadlineAt), string(in.Data), in.Version,
			in.CreatedAt.UnixNano(), in.UpdatedAt.UnixNano())
		if err != nil {
			return fmt.Errorf("create saga %s: %w", in.ID, err)
		}
	case in.Version != in.stored:
		res, err := tx.ExecContext(ctx, `UPDATE saga_instances SET state = ?, step = ?, compensating = ?, awaiting = ?,
			deadline_at = ?, data = ?, version = ?, updated_at = ? WHERE id = ? AND version = ?`,
			in.State, in.Step, in.Compensating, in.Awaiting, unixOrZero(in.DeadlineAt), string(in.Data),
			in.Version, in.UpdatedAt.UnixNano(), in.ID, in.stored)
		if err != nil {
			return fmt.Errorf("save saga %s: %w", in.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("save saga %s: %w", in.ID, errConflict)
		}
	}
	in.stored = in.Version
	for len(in.pending) > 0 {
		n := min(len(in.pending), maxLogRows)
		args := make([]any, 0, n*6)
		for _, r := range in.pending[:n] {
			args = append(args, in.ID, r.at, r.step, r.kind, r.messageType, r.message)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO saga_log (saga_id, at, step, kind, message_type, message_id)
			VALUES `+strings.Repeat("(?, ?, ?, ?, ?, ?), ", n-1)+"(?, ?, ?, ?, ?, ?)", args...)
		if err != nil {
			return fmt.Errorf("saga %s: log %s: %w", in.ID, in.pending[0].kind, err)
		}
		in.pending = in.pending[n:]
	}
	return nil
}

// maxLogRows bounds the log entries one statement inserts; a handling
// rarely logs more than a few.
const maxLogRows = 8

func loadInstance(ctx context.Context, q storage.Querier, id string) (*instance, error) {
	in, err := scanInstance(q.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM saga_instances WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("load saga %s: %w", id, err)
	}
	return in, nil
}

// instanceByCommand finds the saga of correlationID that sent the command
// with id commandID; sql.ErrNoRows when none did. A reply most often
// answers the command its saga waits for: one lookup by correlation id.
// Otherwise the sagas' logs say which of them sent it.
func instanceByCommand(ctx context.Context, q storage.Querier, correlationID, commandID string) (*instance, error) {
	if commandID == "" {
		return nil, sql.ErrNoRows // a finished saga awaits "": not an answer to it
	}
	in, err := scanInstance(q.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM saga_instances
		WHERE correlation_id = ? AND awaiting = ?`, correlationID, commandID))
	if !errors.Is(err, sql.ErrNoRows) {
		return in, err
	}
	return scanInstance(q.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM saga_instances WHERE id =
		(SELECT saga_id FROM saga_log WHERE saga_id IN (SELECT id FROM saga_instances WHERE correlation_id = ?)
			AND message_id = ? AND kind IN `+commandKinds+` LIMIT 1)`, correlationID, commandID))
}

// commandStep names the step of saga sagaID that sent the command with id
// commandID.
func commandStep(ctx context.Context, q storage.Querier, sagaID, commandID string) (string, error) {
	var step string
	err := q.QueryRowContext(ctx, `SELECT step FROM saga_log WHERE saga_id = ? AND message_id = ? LIMIT 1`,
		sagaID, commandID).Scan(&step)
	return step, err
}

func dueInstances(ctx context.Context, q storage.Querier, now time.Time, limit int) ([]string, error) {
	ids, err := storage.QueryStrings(ctx, q, `SELECT id FROM saga_instances WHERE deadline_at > 0 AND deadline_at <= ?
		AND state = 'RUNNING' ORDER BY deadline_at LIMIT ?`, now.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("find overdue sagas: %w", err)
	}
	return ids, nil
}

func (e *Engine) log(tx *bus.Tx, in *instance, kind LogKind, step, msgType, msgID string) {
	switch {
	case step != "" && msgType != "":
		tx.Note("%s saga: %s %s (step %q)", in.Type, kind, msgType, step)
	case step != "":
		tx.Note("%s saga: %s %q", in.Type, kind, step)
	default:
		tx.Note("%s saga: %s", in.Type, kind)
	}
	in.pending = append(in.pending, logRow{at: e.cfg.Now().UnixNano(), step: step, kind: kind, messageType: msgType, message: msgID})
}
