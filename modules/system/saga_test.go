package system

import (
	"context"
	"testing"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// The Eventuate customers-and-orders end-to-end cases, in every saga mode.
func TestEventuateEndToEnd(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode})
			c := mustCustomer(t, s, "John", "15.00")

			o := final(t, s, mustOrder(t, s, c, "12.34", ""))
			if o.State != ordercontract.Approved || o.SagaMode != mode {
				t.Fatalf("order 12.34 = %s (%s), want APPROVED in %s", o.State, o.SagaMode, mode)
			}
			if got := available(t, s, c); got != 266 {
				t.Fatalf("available credit %s, want 2.66", got)
			}

			o = final(t, s, mustOrder(t, s, c, "123.40", ""))
			if o.State != ordercontract.Rejected || o.RejectionReason != ordercontract.ReasonInsufficientCredit {
				t.Fatalf("order 123.40 = %s/%s, want REJECTED/INSUFFICIENT_CREDIT", o.State, o.RejectionReason)
			}

			o = final(t, s, mustOrder(t, s, "no-such-customer", "1.00", ""))
			if o.State != ordercontract.Rejected || o.RejectionReason != ordercontract.ReasonUnknownCustomer {
				t.Fatalf("order for unknown customer = %s/%s, want REJECTED/UNKNOWN_CUSTOMER", o.State, o.RejectionReason)
			}

			first, _ := s.Orders.Orders(context.Background())
			cancelled, err := s.Orders.Cancel(context.Background(), first[0].ID)
			if err != nil || cancelled.State != ordercontract.Cancelled {
				t.Fatalf("cancel = %v, %v; want CANCELLED", cancelled.State, err)
			}
			eventually(t, "credit released", func() bool { return available(t, s, c) == 1500 })
			o = final(t, s, mustOrder(t, s, c, "15.00", ""))
			if o.State != ordercontract.Approved {
				t.Fatalf("order of 15.00 after cancel = %s, want APPROVED (credit released)", o.State)
			}
			if got := available(t, s, c); got != money.Money(0) {
				t.Fatalf("available credit %s, want 0.00", got)
			}
		})
	}
}
