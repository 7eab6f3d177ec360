package system

import (
	"fmt"
	"strings"
	"testing"
	"unicode"

	ordercontract "sagalab/modules/order/contract"
)

// A stuck saga is listed with the step it waits on; once the participant is
// back it completes, and its report tells the whole story.
func TestSagaInspection(t *testing.T) {
	for _, mode := range modes {
		t.Run(string(mode), func(t *testing.T) {
			s := start(t, Config{SagaMode: mode})
			srv := apiServer(t, s)
			defer srv.Close()
			c := mustCustomer(t, s, "John", "15.00")
			settled(t, s)
			s.Bus.PauseConsumer("customer")
			id := mustOrder(t, s, c, "12.34", "")

			code, body := call(t, srv, "GET", "/sagas", "")
			list := body["sagas"].([]any)
			if code != 200 || len(list) != 1 {
				t.Fatalf("GET /sagas = %d %v, want one unfinished saga", code, body)
			}
			running := list[0].(map[string]any)
			if running["orderId"] != id || running["state"] != "RUNNING" || running["waitingFor"] == "" || running["deadline"] == nil {
				t.Fatalf("unfinished saga = %v", running)
			}
			if _, body := call(t, srv, "GET", "/sagas?stuck=1h", ""); len(body["sagas"].([]any)) != 0 {
				t.Fatalf("GET /sagas?stuck=1h = %v, want none that old", body)
			}

			s.Bus.ResumeConsumer("customer")
			final(t, s, id)
			settled(t, s)
			code, body = call(t, srv, "GET", "/sagas/"+id, "")
			if code != 200 || body["state"] != "COMPLETED" || body["sagaMode"] != string(mode) || body["orderState"] != "APPROVED" {
				t.Fatalf("GET /sagas/{id} = %d %v", code, body)
			}
			var story []string
			for _, l := range body["story"].([]any) {
				story = append(story, l.(map[string]any)["text"].(string))
			}
			text := strings.Join(story, "\n")
			for _, want := range []string{"OrderCreated", "CustomerCreditReserved", "OrderApproved"} {
				if !strings.Contains(text, want) {
					t.Errorf("story does not mention %s:\n%s", want, text)
				}
			}
			if mode == ordercontract.Orchestration {
				sagas := body["sagas"].([]any)
				run := sagas[0].(map[string]any)
				if len(sagas) != 1 || run["type"] != "CreateOrder" || run["state"] != "COMPLETED" || len(run["log"].([]any)) != 6 {
					t.Fatalf("saga instances = %v", sagas)
				}
				entry := run["log"].([]any)[0].(map[string]any)
				if entry["kind"] != "start" || entry["at"] == nil {
					t.Errorf("first saga log entry = %v, want kind start with its time", entry)
				}
				if !strings.Contains(text, "sent command ReserveCredit") {
					t.Errorf("story does not show the command:\n%s", text)
				}
			}
			if bad := pascalKeys(body, "$"); len(bad) > 0 {
				t.Errorf("GET /sagas/{id} has keys that are not camelCase: %v", bad)
			}
			if code, _ := call(t, srv, "GET", "/sagas/nope", ""); code != 404 {
				t.Fatalf("GET /sagas/nope = %d, want 404", code)
			}
		})
	}
}

// POST /orders may choose the saga mode per order.
func TestSagaModePerOrder(t *testing.T) {
	s := start(t, Config{SagaMode: ordercontract.Choreography})
	srv := apiServer(t, s)
	defer srv.Close()
	c := mustCustomer(t, s, "John", "15.00")
	_, body := call(t, srv, "POST", "/orders", `{"customerId":"`+c+`","orderTotal":{"amount":"1"},"sagaMode":"orchestration"}`)
	o := final(t, s, body["orderId"].(string))
	if o.SagaMode != ordercontract.Orchestration || o.State != ordercontract.Approved {
		t.Fatalf("order = %s in %s, want APPROVED in orchestration", o.State, o.SagaMode)
	}
}

// pascalKeys lists the object keys in v, at any depth, that start with a
// capital letter.
func pascalKeys(v any, at string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if k != "" && unicode.IsUpper(rune(k[0])) {
				out = append(out, at+"."+k)
			}
			out = append(out, pascalKeys(e, at+"."+k)...)
		}
	case []any:
		for i, e := range v {
			out = append(out, pascalKeys(e, fmt.Sprintf("%s[%d]", at, i))...)
		}
	}
	return out
}
