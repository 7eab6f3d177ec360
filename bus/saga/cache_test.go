package saga_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"sagalab/bus"
	"sagalab/bus/saga"
	"sagalab/storage"
)

// orchestrator is an engine with one saga type (local, command, local) on
// its own order.db, whose command ids count up.
type orchestrator struct {
	db    *storage.DB
	out   *bus.Outbox
	e     *saga.Engine
	s     *saga.Saga[benchData]
	ids   int
	last  string // the last id made
	local int    // runs of the last step
}

func newOrchestrator(t testing.TB) *orchestrator {
	t.Helper()
	ctx := context.Background()
	migrations := append(append(append(append(append([]storage.Migration{}, bus.Migrations...), saga.Migrations...), bus.TraceMigrations...),
		saga.LogMigrations...), bus.LeanOutboxMigrations...)
	db, err := storage.Open(ctx, filepath.Join(t.TempDir(), "order.db"), migrations, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	bs, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	o := &orchestrator{db: db, out: bs.Outbox("order", db)}
	o.e = saga.NewEngine(saga.Config{DB: db, Outbox: o.out, RepliesTopic: "replies", Timeout: time.Minute, Now: time.Now,
		NewID: func() string { o.ids++; o.last = "m" + strconv.Itoa(o.ids); return o.last }})
	o.s = saga.Register(o.e, saga.Definition[benchData]{Type: "T", Steps: []saga.Step[benchData]{
		saga.Local("create", func(context.Context, *bus.Tx, *benchData) error { return nil }),
		saga.Call("reserve", func(d *benchData) saga.Command {
			return saga.Command{Topic: "commands", Type: "Reserve", Payload: d}
		}, saga.Success[benchData]("Reserved")),
		saga.Local("approve", func(context.Context, *bus.Tx, *benchData) error { o.local++; return nil }),
	}})
	return o
}

var errAfter = errors.New("the transaction fails after the saga's work")

// start starts the saga for id and returns its command's id; with fail,
// the transaction then fails.
func (o *orchestrator) start(t *testing.T, id string, fail bool) string {
	t.Helper()
	o.write(t, "start "+id, fail, func(tx *bus.Tx) error {
		_, err := o.s.Start(context.Background(), tx, id, benchData{OrderID: id, Total: 1})
		return err
	})
	return o.last
}

// reply hands the engine a Reserved reply to command; with fail, the
// transaction then fails.
func (o *orchestrator) reply(t *testing.T, id, command string, fail bool) {
	t.Helper()
	o.write(t, "reply to "+command, fail, func(tx *bus.Tx) error {
		return o.e.HandleReply(context.Background(), tx, bus.Envelope{ID: "r-" + command, Type: "Reserved",
			Topic: "replies", CorrelationID: id, CausationID: command, Payload: []byte(`{}`)})
	})
}

// write runs fn in a transaction that, with fail, then fails.
func (o *orchestrator) write(t *testing.T, what string, fail bool, fn func(tx *bus.Tx) error) {
	t.Helper()
	err := o.out.Write(context.Background(), func(tx *bus.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if fail {
			return errAfter
		}
		return nil
	})
	if (fail && !errors.Is(err, errAfter)) || (!fail && err != nil) {
		t.Fatalf("%s: %v", what, err)
	}
}

func (o *orchestrator) state(t *testing.T, id string) string {
	t.Helper()
	var state string
	err := o.db.Reader().QueryRow(`SELECT state FROM saga_instances WHERE id = ?`, saga.ID(id, "T")).Scan(&state)
	if err != nil {
		return err.Error()
	}
	return state
}

// The engine keeps a running saga in memory for its reply; a rollback on
// the file drops what it kept, so a reply never sees a saga as a
// transaction that did not commit left it.
func TestKeptSagaGoesWithARollback(t *testing.T) {
	t.Run("start rolled back", func(t *testing.T) {
		o := newOrchestrator(t)
		cmd := o.start(t, "o1", true)
		o.reply(t, "o1", cmd, false)
		if got := o.state(t, "o1"); got != "sql: no rows in result set" {
			t.Fatalf("saga after a rolled-back start: %s", got)
		}
		if o.local != 0 {
			t.Fatal("a reply to a saga that was never committed ran its next step")
		}
	})
	t.Run("reply rolled back", func(t *testing.T) {
		o := newOrchestrator(t)
		cmd := o.start(t, "o1", false)
		o.reply(t, "o1", cmd, true)
		if got := o.state(t, "o1"); got != string(saga.Running) {
			t.Fatalf("saga after a rolled-back reply: %s", got)
		}
		o.reply(t, "o1", cmd, false) // the copy that comes again
		if got := o.state(t, "o1"); got != string(saga.Completed) {
			t.Fatalf("saga after the reply came again: %s", got)
		}
		o.reply(t, "o1", cmd, false) // a third copy: nothing more happens
		if o.local != 2 {            // once in the rolled-back handling, once for good
			t.Fatalf("last step ran %d times, want 2 (one rolled back)", o.local)
		}
		log, err := o.e.Log(context.Background(), saga.ID("o1", "T"))
		if err != nil {
			t.Fatal(err)
		}
		replies := 0
		for _, l := range log {
			if l.Kind == saga.LogReply {
				replies++
			}
		}
		if replies != 1 {
			t.Fatalf("log has %d replies, want 1: %+v", replies, log)
		}
	})
	t.Run("another saga's failure", func(t *testing.T) {
		o := newOrchestrator(t)
		cmd1 := o.start(t, "o1", false)
		cmd2 := o.start(t, "o2", false)
		o.reply(t, "o2", cmd2, true) // rolls back: o1 kept in memory is dropped too
		o.reply(t, "o1", cmd1, false)
		o.reply(t, "o2", cmd2, false)
		for _, id := range []string{"o1", "o2"} {
			if got := o.state(t, id); got != string(saga.Completed) {
				t.Fatalf("saga %s: %s", id, got)
			}
		}
	})
}
