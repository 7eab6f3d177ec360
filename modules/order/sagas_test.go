package order

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"sagalab/bus"
	"sagalab/bus/saga"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/order/contract"
	"sagalab/storage"
)

// fakeCustomer stands in for the Customer service: it records the commands
// it gets and answers ReserveCredit with a scripted reply type.
type fakeCustomer struct {
	reply string

	mu       sync.Mutex
	commands []bus.Envelope
}

func (f *fakeCustomer) received() []bus.Envelope {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.commands)
}

// startWithFake starts the Order module in orchestration mode beside a fake
// participant that has its own database.
func startWithFake(t *testing.T, reply string) (*Module, *fakeCustomer) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := storage.Open(ctx, filepath.Join(dir, FileName), Migrations(), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	fakeDB, err := storage.Open(ctx, filepath.Join(dir, "fake.db"), append(append(append(append([]storage.Migration{}, bus.Migrations...), bus.TraceMigrations...),
		bus.DeadLetterMigrations...), bus.LeanOutboxMigrations...), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bus.New(bus.Config{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(Config{DB: db, Bus: b, DefaultMode: contract.Orchestration, SagaTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeCustomer{reply: reply}
	fakeOut := b.Outbox(customercontract.Module, fakeDB)
	bus.HandleAll(b.Consumer(customercontract.Module, fakeDB, fakeOut), customercontract.CommandsTopic,
		func(ctx context.Context, tx *bus.Tx, env bus.Envelope) error {
			fake.mu.Lock()
			fake.commands = append(fake.commands, env)
			fake.mu.Unlock()
			var c customercontract.ReserveCreditCommand
			if err := env.Decode(&c); err != nil {
				return err
			}
			typ := fake.reply
			if env.Type == customercontract.ReleaseCredit {
				typ = customercontract.CustomerCreditReleased
			}
			return tx.Emit(ctx, env.Caused(env.ReplyTo, typ,
				customercontract.CreditFailed{CustomerID: c.CustomerID, OrderID: c.OrderID, Reason: "scripted"}))
		})
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	m.Start()
	t.Cleanup(func() {
		m.Close()
		b.Close()
		db.Close()
		fakeDB.Close()
	})
	return m, fake
}

func waitFinal(t *testing.T, m *Module, id string) contract.Order {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o, err := m.Order(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if o.Final() {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("order %s still PENDING", id)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestCreateOrderSaga(t *testing.T) {
	cases := []struct {
		reply     string
		state     contract.State
		reason    string
		sagaState saga.State
		log       []string
	}{
		{customercontract.CustomerCreditReserved, contract.Approved, "", saga.Completed,
			[]string{"start", "local", "command", "reply", "local", "completed"}},
		{customercontract.CustomerCreditLimitExceeded, contract.Rejected, contract.ReasonInsufficientCredit, saga.Compensated,
			[]string{"start", "local", "command", "reply", "compensation", "compensated"}},
		{customercontract.CustomerNotFound, contract.Rejected, contract.ReasonUnknownCustomer, saga.Compensated,
			[]string{"start", "local", "command", "reply", "compensation", "compensated"}},
	}
	for _, c := range cases {
		t.Run(c.reply, func(t *testing.T) {
			m, fake := startWithFake(t, c.reply)
			o, err := m.Create(context.Background(), "customer-1", 1234, "")
			if err != nil {
				t.Fatal(err)
			}
			got := waitFinal(t, m, o.ID)
			if got.State != c.state || got.RejectionReason != c.reason {
				t.Fatalf("order = %s/%s, want %s/%s", got.State, got.RejectionReason, c.state, c.reason)
			}

			cmds := fake.received()
			if len(cmds) != 1 || cmds[0].Type != customercontract.ReserveCredit || cmds[0].ReplyTo != contract.RepliesTopic ||
				cmds[0].CorrelationID != o.ID {
				t.Fatalf("commands sent = %+v, want one ReserveCredit replying to %s", cmds, contract.RepliesTopic)
			}
			var cmd customercontract.ReserveCreditCommand
			if err := cmds[0].Decode(&cmd); err != nil {
				t.Fatal(err)
			}
			want := customercontract.ReserveCreditCommand{CustomerID: "customer-1", OrderID: o.ID, OrderTotal: 1234}
			if cmd != want {
				t.Fatalf("ReserveCredit = %+v, want %+v", cmd, want)
			}

			info, err := m.sagas.Saga(context.Background(), saga.ID(o.ID, CreateOrderSaga))
			if err != nil {
				t.Fatal(err)
			}
			if info.State != c.sagaState {
				t.Fatalf("saga state %s, want %s", info.State, c.sagaState)
			}
			entries, err := m.sagas.Log(context.Background(), info.ID)
			if err != nil {
				t.Fatal(err)
			}
			var kinds []string
			for _, e := range entries {
				kinds = append(kinds, string(e.Kind))
			}
			if !slices.Equal(kinds, c.log) {
				t.Fatalf("saga log = %v, want %v", kinds, c.log)
			}
		})
	}
}

// Cancel Order: the order is CANCELLED at once and ReleaseCredit is sent;
// a second cancel is refused.
func TestCancelOrderSaga(t *testing.T) {
	m, fake := startWithFake(t, customercontract.CustomerCreditReserved)
	o, err := m.Create(context.Background(), "customer-1", 500, "")
	if err != nil {
		t.Fatal(err)
	}
	waitFinal(t, m, o.ID)
	got, err := m.Cancel(context.Background(), o.ID)
	if err != nil || got.State != contract.Cancelled {
		t.Fatalf("cancel = %s, %v; want CANCELLED", got.State, err)
	}
	if _, err := m.Cancel(context.Background(), o.ID); err == nil {
		t.Fatal("a second cancel succeeded")
	}
	id := saga.ID(o.ID, CancelOrderSaga)
	deadline := time.Now().Add(10 * time.Second)
	for {
		info, err := m.sagas.Saga(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if info.State == saga.Completed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cancel saga still %s at step %q", info.State, info.Step)
		}
		time.Sleep(2 * time.Millisecond)
	}
	cmds := fake.received()
	if len(cmds) != 2 || cmds[1].Type != customercontract.ReleaseCredit {
		t.Fatalf("commands = %d, want ReserveCredit then ReleaseCredit", len(cmds))
	}
}
