package system

import (
	"context"
	"testing"
	"time"

	ordercontract "sagalab/modules/order/contract"
)

// With the Customer service down past the deadline, the saga compensates:
// the order is REJECTED/TIMEOUT. When the service comes back it handles the
// old messages late, and the credit ends up released, not leaked.
func TestTimeoutCompensatesAndLateReservationIsReleased(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode, SagaTimeout: 200 * time.Millisecond})
			c := mustCustomer(t, s, "John", "15.00")
			settled(t, s)
			s.Bus.PauseConsumer("customer")
			o := final(t, s, mustOrder(t, s, c, "12.34", ""))
			if o.State != ordercontract.Rejected || o.RejectionReason != ordercontract.ReasonTimeout {
				t.Fatalf("order = %s/%s, want REJECTED/TIMEOUT", o.State, o.RejectionReason)
			}
			s.Bus.ResumeConsumer("customer")
			settled(t, s)
			if got := available(t, s, c); got != 1500 {
				t.Fatalf("available credit %s after the late messages, want 15.00 (nothing leaked)", got)
			}
			if o, _ := s.Orders.Order(context.Background(), o.ID); o.State != ordercontract.Rejected {
				t.Fatalf("a late reply changed the order to %s", o.State)
			}
		})
	}
}

// The customer reserved in time but its reply came too late: the saga
// timed out and compensated, and the reservation is released.
func TestLateReplyAfterTimeoutReleasesCredit(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode, SagaTimeout: 200 * time.Millisecond})
			c := mustCustomer(t, s, "John", "15.00")
			settled(t, s)
			s.Bus.PauseConsumer("order") // replies and customer events wait
			id := mustOrder(t, s, c, "12.34", "")
			eventually(t, "the reservation", func() bool { return available(t, s, c) == 266 })
			o := final(t, s, id) // the deadline watcher does not wait for the consumer
			if o.RejectionReason != ordercontract.ReasonTimeout {
				t.Fatalf("order = %s/%s, want REJECTED/TIMEOUT", o.State, o.RejectionReason)
			}
			s.Bus.ResumeConsumer("order")
			settled(t, s)
			if got := available(t, s, c); got != 1500 {
				t.Fatalf("available credit %s, want 15.00: the late reservation leaked", got)
			}
		})
	}
}

// Deadlines are stored: a saga whose deadline passes while sagalab is down
// times out after the restart.
func TestDeadlineSurvivesRestart(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{DataDir: dir, SagaMode: mode, SagaTimeout: 300 * time.Millisecond}
			s := start(t, cfg)
			c := mustCustomer(t, s, "John", "15.00")
			settled(t, s)
			s.Bus.PauseConsumer("customer")
			id := mustOrder(t, s, c, "12.34", "")
			cfg.Paused = []string{"customer"} // still down after the restart
			s = restart(t, s, cfg)
			if o := final(t, s, id); o.RejectionReason != ordercontract.ReasonTimeout {
				t.Fatalf("order = %s/%s, want REJECTED/TIMEOUT", o.State, o.RejectionReason)
			}
			s.Bus.ResumeConsumer("customer")
			settled(t, s)
			if got := available(t, s, c); got != 1500 {
				t.Fatalf("available credit %s, want 15.00", got)
			}
		})
	}
}

// After a restart in the other mode, sagas in flight finish in the mode they
// started in, and new orders use the new mode.
func TestRestartInOtherModeFinishesInOriginalMode(t *testing.T) {
	for _, mode := range modes {
		other := ordercontract.Orchestration
		if mode == other {
			other = ordercontract.Choreography
		}
		t.Run(string(mode)+"-then-"+string(other), func(t *testing.T) {
			dir := t.TempDir()
			s := start(t, Config{DataDir: dir, SagaMode: mode})
			c := mustCustomer(t, s, "John", "15.00")
			settled(t, s)
			s.Bus.PauseConsumer("customer")
			inFlight := mustOrder(t, s, c, "10.00", "")
			s = restart(t, s, Config{DataDir: dir, SagaMode: other})
			o := final(t, s, inFlight)
			if o.State != ordercontract.Approved || o.SagaMode != mode {
				t.Fatalf("in-flight order = %s in %s, want APPROVED in %s", o.State, o.SagaMode, mode)
			}
			o = final(t, s, mustOrder(t, s, c, "5.00", ""))
			if o.State != ordercontract.Approved || o.SagaMode != other {
				t.Fatalf("new order = %s in %s, want APPROVED in %s", o.State, o.SagaMode, other)
			}
			settled(t, s)
			if got := available(t, s, c); got != 0 {
				t.Fatalf("available credit %s, want 0.00 (no double reservation)", got)
			}
		})
	}
}
