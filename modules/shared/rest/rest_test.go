package rest

import (
	"encoding/json"
	"testing"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
)

// Each side writes the order it has: the services with their saga mode, the
// monolith with none (null), the order list command with times.
func TestOrderJSON(t *testing.T) {
	o := ordercontract.Order{ID: "o1", CustomerID: "c1", OrderTotal: 1234, State: ordercontract.Rejected,
		RejectionReason: "INSUFFICIENT_CREDIT", SagaMode: "orchestration"}
	for _, c := range []struct {
		name string
		o    Order
		want string
	}{
		{"service", OrderOf(o, "microservices"), `{"orderId":"o1","customerId":"c1","orderTotal":{"amount":"12.34"},` +
			`"orderState":"REJECTED","rejectionReason":"INSUFFICIENT_CREDIT","sagaMode":"orchestration","architecture":"microservices"}`},
		{"monolith", OrderOf(ordercontract.Order{ID: "o1", CustomerID: "c1", OrderTotal: 1234, State: ordercontract.Approved}, "monolith"),
			`{"orderId":"o1","customerId":"c1","orderTotal":{"amount":"12.34"},"orderState":"APPROVED",` +
				`"rejectionReason":null,"sagaMode":null,"architecture":"monolith"}`},
	} {
		got, err := json.Marshal(c.o)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != c.want {
			t.Errorf("%s: %s\nwant %s", c.name, got, c.want)
		}
		if back := c.o.Contract(); back.ID != "o1" || back.OrderTotal != 1234 || back.State != c.o.State {
			t.Errorf("%s: Contract() = %+v", c.name, back)
		}
	}
	if got := OrderOf(o, "").Contract(); got != o {
		t.Errorf("round trip = %+v, want %+v", got, o)
	}
}

func TestCustomerRoundTrip(t *testing.T) {
	c := customercontract.Customer{ID: "c1", Name: "John", CreditLimit: 1500, AvailableCredit: 300}
	if got := CustomerOf(c).Contract(); got != c {
		t.Errorf("round trip = %+v, want %+v", got, c)
	}
}

// The order history document keeps the key order it had as a map.
func TestOrderHistoryJSON(t *testing.T) {
	doc := OrderHistory{ID: "c1", Name: "John", CreditLimit: money.Amount{Amount: 1500}, Orders: map[string]HistoryOrder{}}
	got, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"creditLimit":{"amount":"15.00"},"id":"c1","name":"John","orders":{}}`; string(got) != want {
		t.Errorf("%s\nwant %s", got, want)
	}
}
