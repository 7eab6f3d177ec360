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
// to its migrations after its own, one by one as they come. The engine
// needs them all: it writes the log column the second one adds. (The
// third is not about the log: the name stayed when the list grew.)
var LogMigrations = []storage.Migration{
	// The log is looked up by saga, never by message alone.
	{Name: "saga log without a message index", SQL: `DROP INDEX IF EXISTS saga_log_message`},
	// The log moves into its instance's row, as JSON Lines (see
	// logline.go): a handling then writes its saga with one statement.
	{Name: "saga log in the instance row", SQL: `
ALTER TABLE saga_instances ADD COLUMN log TEXT NOT NULL DEFAULT '';
UPDATE saga_instances SET log = coalesce((
	SELECT group_concat(json_object('at', at, 'step', step, 'kind', kind, 'messageType', message_type,
		'messageId', message_id), char(10) ORDER BY seq) || char(10)
	FROM saga_log WHERE saga_id = saga_instances.id), '');
DROP TABLE saga_log;`},
	// The state's CHECK compares instead of looking the state up with IN:
	// SQLite builds an ephemeral table for an IN list of more than two
	// constants, on every statement that writes the column, and a saga
	// writes its instance twice. SQLite cannot change a CHECK, so the
	// table is copied.
	{Name: "saga states checked by comparison", SQL: `
CREATE TABLE saga_instances_checked (
	id             TEXT    PRIMARY KEY,
	type           TEXT    NOT NULL,
	correlation_id TEXT    NOT NULL,
	state          TEXT    NOT NULL CHECK (state = 'RUNNING' OR state = 'COMPLETED' OR state = 'COMPENSATED'),
	step           INTEGER NOT NULL,
	compensating   INTEGER NOT NULL DEFAULT 0,
	awaiting       TEXT    NOT NULL DEFAULT '',
	deadline_at    INTEGER NOT NULL DEFAULT 0,
	data           TEXT    NOT NULL,
	version        INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	log            TEXT    NOT NULL DEFAULT ''
);
INSERT INTO saga_instances_checked SELECT id, type, correlation_id, state, step, compensating, awaiting,
	deadline_at, data, version, created_at, updated_at, log FROM saga_instances;
DROP TABLE saga_instances;
ALTER TABLE saga_instances_checked RENAME TO saga_instances;
CREATE INDEX saga_instances_correlation ON saga_instances (correlation_id);
CREATE INDEX saga_instances_deadline ON saga_instances (deadline_at) WHERE deadline_at > 0;`},
}

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
	// all at the end, with one statement. stored is the version the table
	// holds (0: not inserted yet); pending holds the log entries not
	// written yet.
	stored  int
	pending []logRow
	// data is Data decoded (a *D), once a handling needed it; dirty
	// means it changed, for flush to encode into Data.
	data  any
	dirty bool
}

const instanceColumns = `id, type, correlation_id, state, step, compensating, awaiting, deadline_at, data, version, created_at, updated_at`

// scanRow scans the instanceColumns of row.
func scanRow(row storage.Scanner) (*instance, error) { return scanInstance(row) }

// scanInstance scans the instanceColumns of row, and extra after them.
func scanInstance(row storage.Scanner, extra ...any) (*instance, error) {
	var in instance
	var deadline, created, updated int64
	if err := row.Scan(append([]any{&in.ID, &in.Type, &in.CorrelationID, &in.State, &in.Step, &in.Compensating,
		&in.Awaiting, &deadline, &in.Data, &in.Version, &created, &updated}, extra...)...); err != nil {
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

// flush writes what the handling did to in, with one statement: the
// instance, inserted or updated if it changed (an update only from the
// version it was loaded at), with its pending log entries appended to its
// log.
func flush(ctx context.Context, tx storage.Execer, in *instance) error {
	if in.dirty {
		raw, err := json.Marshal(in.data)
		if err != nil {
			return fmt.Errorf("saga %s: encode data: %w", in.ID, err)
		}
		in.Data, in.dirty = raw, false
	}
	var log string
	if len(in.pending) > 0 {
		log = string(appendLogLines(make([]byte, 0, 160*len(in.pending)), in.pending))
		in.pending = in.pending[:0]
	}
	switch {
	case in.stored == 0:
		_, err := tx.ExecContext(ctx, `INSERT INTO saga_instances (`+instanceColumns+`, log)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, in.ID, in.Type, in.CorrelationID, in.State, in.Step,
			in.Compensating, in.Awaiting, unixOrZero(in.DeadlineAt), string(in.Data), in.Version,
			in.CreatedAt.UnixNano(), in.UpdatedAt.UnixNano(), log)
		if err != nil {
			return fmt.Errorf("create saga %s: %w", in.ID, err)
		}
	case in.Version != in.stored:
		res, err := tx.ExecContext(ctx, `UPDATE saga_instances SET state = ?, step = ?, compensating = ?, awaiting = ?,
			deadline_at = ?, data = ?, version = ?, updated_at = ?, log = log || ? WHERE id = ? AND version = ?`,
			in.State, in.Step, in.Compensating, in.Awaiting, unixOrZero(in.DeadlineAt), string(in.Data),
			in.Version, in.UpdatedAt.UnixNano(), log, in.ID, in.stored)
		if err != nil {
			return fmt.Errorf("save saga %s: %w", in.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("save saga %s: %w", in.ID, errConflict)
		}
	case log != "":
		if _, err := tx.ExecContext(ctx, `UPDATE saga_instances SET log = log || ? WHERE id = ?`, log, in.ID); err != nil {
			return fmt.Errorf("saga %s: log: %w", in.ID, err)
		}
	}
	in.stored = in.Version
	return nil
}

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
// Otherwise the logs of the correlation's sagas say which of them sent it.
func instanceByCommand(ctx context.Context, q storage.Querier, correlationID, commandID string) (*instance, error) {
	if commandID == "" {
		return nil, sql.ErrNoRows // a finished saga awaits "": not an answer to it
	}
	in, err := scanInstance(q.QueryRowContext(ctx, `SELECT `+instanceColumns+` FROM saga_instances
		WHERE correlation_id = ? AND awaiting = ?`, correlationID, commandID))
	if !errors.Is(err, sql.ErrNoRows) {
		return in, err
	}
	type withLog struct {
		in  *instance
		log string
	}
	sagas, err := storage.QueryAll(ctx, q, func(row storage.Scanner) (withLog, error) {
		var w withLog
		var err error
		w.in, err = scanInstance(row, &w.log)
		return w, err
	}, `SELECT `+instanceColumns+`, log FROM saga_instances WHERE correlation_id = ? ORDER BY created_at, id`, correlationID)
	if err != nil {
		return nil, fmt.Errorf("sagas of %s: %w", correlationID, err)
	}
	for _, s := range sagas {
		rows, err := parseLog(s.log)
		if err != nil {
			return nil, fmt.Errorf("read saga %s log: %w", s.in.ID, err)
		}
		for _, r := range rows {
			if r.MessageID == commandID && r.Kind.SendsCommand() {
				return s.in, nil
			}
		}
	}
	return nil, sql.ErrNoRows
}

// commandStep names the step of saga sagaID that sent the command with id
// commandID; sql.ErrNoRows when none did.
func commandStep(ctx context.Context, q storage.Querier, sagaID, commandID string) (string, error) {
	rows, err := readLog(ctx, q, sagaID)
	if err != nil {
		return "", err
	}
	for _, r := range rows {
		if r.MessageID == commandID {
			return r.Step, nil
		}
	}
	return "", sql.ErrNoRows
}

// readLog reads the log of saga id; nothing for a saga that does not
// exist.
func readLog(ctx context.Context, q storage.Querier, id string) ([]logRow, error) {
	var log string
	err := q.QueryRowContext(ctx, `SELECT log FROM saga_instances WHERE id = ?`, id).Scan(&log)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read saga %s log: %w", id, err)
	}
	rows, err := parseLog(log)
	if err != nil {
		return nil, fmt.Errorf("read saga %s log: %w", id, err)
	}
	return rows, nil
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
	in.pending = append(in.pending, logRow{At: e.cfg.Now().UnixNano(), Step: step, Kind: kind, MessageType: msgType, MessageID: msgID})
}
