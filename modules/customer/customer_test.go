package customer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"sagalab/bus"
	"sagalab/bus/eventstore"
	"sagalab/modules/customer/contract"
	"sagalab/modules/shared/money"
	"sagalab/storage"
)

type fataler interface {
	Fatal(args ...any)
	Fatalf(format string, args ...any)
}

// newModule opens a Customer module on a fresh file in dir, on a bus that is
// never started: the tests call its commands directly.
func newModule(t fataler, dir string, snapshotEvery int) (*Module, func()) {
	ctx := context.Background()
	db, err := storage.Open(ctx, filepath.Join(dir, FileName), Migrations(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m := New(Config{DB: db, Bus: b, SnapshotEvery: snapshotEvery})
	return m, func() { b.Close(); db.Close() }
}

// op is a command on one customer.
type op struct {
	release bool
	order   string
	total   money.Money
}

func run(t fataler, m *Module, customerID string, ops []op) {
	ctx := context.Background()
	for i, o := range ops {
		cause := bus.Envelope{ID: fmt.Sprintf("msg-%d", i), CorrelationID: o.order}
		err := m.out.Write(ctx, func(tx *bus.Tx) error {
			if o.release {
				_, err := m.releaseCredit(ctx, tx, cause, customerID, o.order)
				return err
			}
			_, err := m.reserveCredit(ctx, tx, cause, customerID, o.order, o.total)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func opsGen() *rapid.Generator[[]op] {
	return rapid.SliceOfN(rapid.Custom(func(t *rapid.T) op {
		return op{
			release: rapid.IntRange(0, 3).Draw(t, "kind") == 0,
			order:   fmt.Sprintf("o%d", rapid.IntRange(0, 15).Draw(t, "order")),
			total:   money.Money(rapid.Int64Range(1, 40_00).Draw(t, "total")),
		}
	}), 0, 120)
}

// For random command sequences, the state loaded from a snapshot plus the
// events after it equals the state from a full replay, whatever the snapshot
// interval; and credit is never over-reserved.
func TestSnapshotPlusTailEqualsFullReplay(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		ops := opsGen().Draw(rt, "ops")
		every := rapid.SampledFrom([]int{1, 2, 3, 5, 10, 100}).Draw(rt, "snapshotEvery")
		ctx := context.Background()

		m, done := newModule(rt, t.TempDir(), every)
		defer done()
		id, err := m.Create(ctx, "Rapid", 100_00)
		if err != nil {
			rt.Fatal(err)
		}
		run(rt, m, id, ops)

		fromSnapshot, err := m.repo.loadAt(ctx, m.db.Reader(), id, 0) // snapshot + tail, no cache
		if err != nil {
			rt.Fatal(err)
		}
		cached, err := m.repo.load(ctx, m.db.Reader(), id)
		if err != nil {
			rt.Fatal(err)
		}
		replay := repository{events: m.events} // snapshots off: replays every event
		full, err := replay.load(ctx, m.db.Reader(), id)
		if err != nil {
			rt.Fatal(err)
		}
		normalize(fromSnapshot)
		normalize(cached)
		normalize(full)
		if !reflect.DeepEqual(fromSnapshot, full) {
			rt.Fatalf("snapshot+tail = %+v\nfull replay  = %+v", fromSnapshot, full)
		}
		if !reflect.DeepEqual(cached, full) {
			rt.Fatalf("cached      = %+v\nfull replay = %+v", cached, full)
		}
		var sum money.Money
		for _, amount := range full.Open {
			sum += amount
		}
		if full.Reserved != sum || full.Reserved > full.CreditLimit || full.Reserved < 0 {
			rt.Fatalf("reserved %s, open reservations sum to %s, limit %s", full.Reserved, sum, full.CreditLimit)
		}
		view, err := m.Customer(ctx, id)
		if err != nil || view.AvailableCredit != full.Available() {
			rt.Fatalf("projection says %s available, the aggregate %s (%v)", view.AvailableCredit, full.Available(), err)
		}
	})
}

// normalize makes an empty and a missing reservation map compare equal and
// drops the monotonic clock reading.
func normalize(c *Customer) {
	if len(c.Open) == 0 {
		c.Open = nil
	}
	c.CreatedAt = c.CreatedAt.Round(0).UTC()
}

// Handling the same command twice appends nothing new.
func TestCommandsAreIdempotent(t *testing.T) {
	m, done := newModule(t, t.TempDir(), 0)
	defer done()
	ctx := context.Background()
	id, err := m.Create(ctx, "Ann", 10_00)
	if err != nil {
		t.Fatal(err)
	}
	run(t, m, id, []op{{order: "o1", total: 4_00}, {order: "o1", total: 4_00}, {order: "o2", total: 9_00}, {order: "o2", total: 1}})
	run(t, m, id, []op{{release: true, order: "o1"}, {release: true, order: "o1"}, {release: true, order: "o2"}})
	evs, err := m.Events(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e.Type)
	}
	want := []string{contract.CustomerCreated, contract.CustomerCreditReserved, contract.CustomerCreditReservationFailed,
		contract.CustomerCreditReleased}
	if !reflect.DeepEqual(types, want) {
		t.Fatalf("events = %v, want %v", types, want)
	}
	// A release that comes first leaves a marker: the late reservation is refused.
	run(t, m, id, []op{{release: true, order: "o3"}, {order: "o3", total: 1_00}})
	st, err := m.StateAt(ctx, id, 0)
	if err != nil || st.Available != 10_00 {
		t.Fatalf("available %s, %v; want 10.00", st.Available, err)
	}
}

// A snapshot of an older schema is ignored: the stream is replayed.
func TestOldSnapshotSchemaIgnored(t *testing.T) {
	m, done := newModule(t, t.TempDir(), 2)
	defer done()
	ctx := context.Background()
	id, err := m.Create(ctx, "Ann", 10_00)
	if err != nil {
		t.Fatal(err)
	}
	run(t, m, id, []op{{order: "o1", total: 3_00}, {order: "o2", total: 2_00}, {order: "o3", total: 1_00}})
	err = m.out.Write(ctx, func(tx *bus.Tx) error { // a snapshot written by an older sagalab
		_, err := tx.ExecContext(ctx, `UPDATE snapshots SET schema_version = 0, data = '{"reserved": 999999, "version": 4}'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.StateAt(ctx, id, 0)
	if err != nil || st.Reserved != 6_00 || st.Version != 4 || len(st.Open) != 3 {
		t.Fatalf("state = %+v, %v; want 6.00 reserved by 3 orders at version 4", st, err)
	}
}

// Time travel: the state as of each version of the stream.
func TestStateAtVersion(t *testing.T) {
	m, done := newModule(t, t.TempDir(), 2)
	defer done()
	ctx := context.Background()
	id, _ := m.Create(ctx, "Ann", 10_00)
	run(t, m, id, []op{{order: "o1", total: 3_00}, {order: "o2", total: 2_00}, {release: true, order: "o1"}})
	for v, want := range map[int64]money.Money{1: 10_00, 2: 7_00, 3: 5_00, 4: 8_00} {
		st, err := m.StateAt(ctx, id, v)
		if err != nil || st.Available != want || st.Version != v {
			t.Errorf("at version %d: %s available (version %d), %v; want %s", v, st.Available, st.Version, err, want)
		}
	}
	if _, err := m.StateAt(ctx, "nobody", 0); err != contract.ErrNotFound {
		t.Errorf("unknown customer: %v", err)
	}
}

// A customer.db with customers stored as state by the sagalab before event
// sourcing is refused, with a message that says what to do.
func TestStateBasedDataRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), FileName)
	db, err := storage.Open(ctx, path, migrations[:3], storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Reader().ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	err = db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (id, name, credit_limit, created_at) VALUES ('c1', 'Old', 100, 1)`)
		return err
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	_, err = storage.Open(ctx, path, Migrations(), storage.Options{})
	if err == nil || !strings.Contains(err.Error(), "new data directory") {
		t.Fatalf("opening an old customer.db: %v, want a refusal that says to use a new data directory", err)
	}
	// An old file without customers is migrated.
	empty := filepath.Join(t.TempDir(), FileName)
	if db, err = storage.Open(ctx, empty, migrations[:3], storage.Options{}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if db, err = storage.Open(ctx, empty, Migrations(), storage.Options{}); err != nil {
		t.Fatalf("migrating an empty old customer.db: %v", err)
	}
	db.Close()
}

// A transaction that appended and then rolled back leaves the cache holding
// a state the stream never had: it must not be used once another event takes
// that version.
func TestCacheIgnoresRolledBackAppends(t *testing.T) {
	m, done := newModule(t, t.TempDir(), 0)
	defer done()
	ctx := context.Background()
	id, err := m.Create(ctx, "Ann", 10_00)
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("the handler failed after the append")
	err = m.out.Write(ctx, func(tx *bus.Tx) error {
		if _, err := m.reserveCredit(ctx, tx, bus.Envelope{ID: "x", CorrelationID: "a"}, id, "a", 9_00); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	// Another writer (not this repository, so not its cache) takes the
	// version "a" had.
	err = m.out.Write(ctx, func(tx *bus.Tx) error {
		_, err := m.events.Append(ctx, tx, id, 1, eventstore.NewEvent{Type: contract.CustomerCreditReserved,
			Data: contract.CreditReserved{CustomerID: id, OrderID: "b", OrderTotal: 2_00}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := m.StateAt(ctx, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	err = m.out.Write(ctx, func(tx *bus.Tx) error {
		c, err := m.repo.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if c.Reserved != st.Reserved || len(c.Open) != 1 || c.Open["b"] != 2_00 {
			t.Errorf("loaded %+v; the stream says %+v", c, st.Customer)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
