package cmd_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// restStore is one server the REST walk runs against: its client and the
// ids its answers gave.
type restStore struct {
	name string
	api  *apiClient
	ids  map[string]string // placeholder -> id on this server
}

// path fills in the placeholders ({C}, {O1}, …) of p with this store's ids.
func (s *restStore) path(p string) string {
	for k, v := range s.ids {
		p = strings.ReplaceAll(p, "{"+k+"}", v)
	}
	return p
}

// shape is what an answer's JSON looks like: the keys of its objects and
// the kinds of its values, not the values.
func shape(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			if len(k) == 36 && strings.Count(k, "-") == 4 { // an id as a key: data
				k = "<id>"
				e = mergeShapes(out[k], shape(e))
			} else {
				e = shape(e)
			}
			out[k] = e
		}
		return out
	case []any:
		// The union of the elements' shapes: elements differ in optional keys.
		var merged any = "empty array"
		for _, e := range v {
			merged = mergeShapes(merged, shape(e))
		}
		return []any{merged}
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

func mergeShapes(a, b any) any {
	if a == "empty array" || a == nil {
		return b
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if !aok || !bok {
		return b
	}
	out := maps.Clone(am)
	for k, v := range bm {
		if prev, ok := out[k]; ok {
			v = mergeShapes(prev, v)
		}
		out[k] = v
	}
	return out
}

// covers reports where got lacks what want has (keys, kinds), if anywhere.
// An empty array or a null matches anything: the data differ, not the API.
func covers(want, got any, at string) []string {
	if want == "empty array" || got == "empty array" || want == "null" || got == "null" {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: an object in process, %v through the gateway", at, got)}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			gv, ok := g[k]
			if !ok {
				out = append(out, fmt.Sprintf("%s.%s: missing through the gateway", at, k))
				continue
			}
			out = append(out, covers(w[k], gv, at+"."+k)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: an array in process, %v through the gateway", at, got)}
		}
		return covers(w[0], g[0], at+"[]")
	}
	if want != got {
		return []string{fmt.Sprintf("%s: %v in process, %v through the gateway", at, want, got)}
	}
	return nil
}

// restStep is one request of the README's REST table.
type restStep struct {
	method, path string
	body         any
	status       int
	// save names the id the answer gives (its first string field ending in
	// "Id"), to use in later paths; settle waits until that order is no
	// longer PENDING.
	save   string
	settle bool
}

// restWalk is the README's REST table, request by request, orders in both
// saga modes.
func restWalk() []restStep {
	john := map[string]any{"name": "John", "creditLimit": map[string]string{"amount": "15.00"}}
	order := func(customer, amount, mode string) map[string]any {
		return map[string]any{"customerId": customer, "orderTotal": map[string]string{"amount": amount}, "sagaMode": mode}
	}
	valuable := "/queries/valuable-customers?minTotal=1&state=APPROVED&createdAfter=2000-01-01&via="
	return []restStep{
		{method: "POST", path: "/customers", body: john, status: 201, save: "C"},
		{method: "POST", path: "/customers", body: map[string]any{"name": 5}, status: 400},
		{method: "GET", path: "/customers", status: 200},
		{method: "GET", path: "/customers/{C}", status: 200},
		{method: "GET", path: "/customers/nobody", status: 404},
		{method: "GET", path: "/customers/{C}?atVersion=1", status: 200},
		{method: "GET", path: "/customers/{C}?atVersion=0", status: 400},
		{method: "GET", path: "/customers/{C}/events", status: 200},
		{method: "POST", path: "/orders", body: order("{C}", "12.34", "choreography"), status: 201, save: "O1", settle: true},
		{method: "POST", path: "/orders", body: order("{C}", "1.00", "orchestration"), status: 201, save: "O2", settle: true},
		{method: "POST", path: "/orders", body: order("{C}", "5.00", "orchestration"), status: 201, save: "O3", settle: true},
		{method: "POST", path: "/orders", body: order("ghost", "1.00", "choreography"), status: 201, save: "O4", settle: true},
		{method: "POST", path: "/orders", body: order("{C}", "ten", "choreography"), status: 400},
		{method: "GET", path: "/orders", status: 200},
		{method: "GET", path: "/orders/{O1}", status: 200},
		{method: "GET", path: "/orders/{O3}", status: 200},
		{method: "GET", path: "/orders/nothing", status: 404},
		{method: "POST", path: "/orders/{O2}/cancel", status: 200},
		{method: "POST", path: "/orders/{O3}/cancel", status: 409},
		{method: "POST", path: "/orders/nothing/cancel", status: 404},
		{method: "GET", path: "/sagas/{O1}", status: 200},
		{method: "GET", path: "/sagas/{O2}", status: 200},
		{method: "GET", path: "/sagas/{O4}", status: 200},
		{method: "GET", path: "/sagas/nothing", status: 404},
		{method: "GET", path: "/sagas?stuck=10s", status: 200},
		{method: "GET", path: "/sagas?stuck=soon", status: 400},
		{method: "GET", path: "/dead-letters", status: 200},
		{method: "GET", path: "/dead-letters/customer/nothing", status: 404},
		{method: "POST", path: "/dead-letters/order/nothing/retry", status: 404},
		{method: "DELETE", path: "/dead-letters/history/nothing", status: 404},
		{method: "GET", path: "/customers/{C}/orderhistory?wait=10s&after={O1pos}", status: 200},
		{method: "GET", path: "/customers/nobody/orderhistory", status: 404},
		{method: "GET", path: "/composed/customers/{C}/orderhistory", status: 200},
		{method: "GET", path: "/composed/customers/nobody/orderhistory", status: 404},
		{method: "GET", path: valuable + "composition-1n", status: 200},
		{method: "GET", path: valuable + "composition-bulk", status: 200},
		{method: "GET", path: valuable + "view", status: 200},
		{method: "GET", path: valuable + "all", status: 200},
		{method: "GET", path: valuable + "carrier-pigeon", status: 400},
		{method: "GET", path: "/views/status", status: 200},
		{method: "POST", path: "/views/rebuild", status: 200},
		{method: "GET", path: "/customers/{C}/orderhistory?wait=10s&after={O4pos}", status: 200},
		{method: "GET", path: "/openapi.json", status: 200},
		{method: "GET", path: "/healthz", status: 200},
		{method: "GET", path: "/readyz", status: 200},
		{method: "GET", path: "/nowhere", status: 404},
		{method: "DELETE", path: "/orders", status: 405},
	}
}

// do sends one step to the store and checks its status; it returns the
// answer's JSON.
func (s *restStore) do(ctx context.Context, t *testing.T, st restStep) (answer, any) {
	t.Helper()
	var body any
	if st.body != nil {
		b, _ := json.Marshal(st.body)
		if err := json.Unmarshal([]byte(s.path(string(b))), &body); err != nil {
			t.Fatal(err)
		}
	}
	a, err := s.api.do(ctx, st.method, s.path(st.path), body)
	if err != nil {
		t.Fatalf("%s: %s %s: %v", s.name, st.method, st.path, err)
	}
	if a.status != st.status {
		t.Fatalf("%s: %s, want %d", s.name, a, st.status)
	}
	var v any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("%s: %s: not JSON: %v", s.name, a, err)
	}
	if st.save != "" {
		var ids map[string]any
		a.decode(&ids)
		for _, k := range slices.Sorted(maps.Keys(ids)) {
			if id, ok := ids[k].(string); ok && strings.HasSuffix(k, "Id") {
				s.ids[st.save] = id
				break
			}
		}
		if pos, ok := ids["position"].(string); ok {
			s.ids[st.save+"pos"] = pos
		}
	}
	if st.settle {
		s.awaitSettled(ctx, t, s.ids[st.save])
	}
	return a, v
}

// awaitSettled polls an order until it is no longer PENDING.
func (s *restStore) awaitSettled(ctx context.Context, t *testing.T, id string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var o struct{ OrderState string }
		if err := s.api.get(ctx, "/orders/"+id, &o); err == nil && o.OrderState != "PENDING" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: order %s still PENDING after 10s", s.name, id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The gateway of `serve --split` answers every request of the README's REST
// table with the status and the shape of JSON that one `serve` process
// answers (orders in both saga modes); a module that is down makes what
// needs it answer 503 naming it, readiness included, while orders are
// still accepted.
func TestSplitRESTContract(t *testing.T) {
	if testing.Short() {
		t.Skip("builds sagalab and runs it as one process and as four")
	}
	bin := buildSagalab(t)
	ctx := t.Context()
	one := newServerProcess(t, bin, "--log-requests=false", "--saga-timeout", "1h")
	one.start(ctx)
	split := startSplit(t, bin, "--saga-timeout", "1h")
	inProcess := &restStore{name: "serve", api: newAPIClient(one.url), ids: map[string]string{}}
	gateway := &restStore{name: "serve --split", api: newAPIClient(split.url), ids: map[string]string{}}
	defer inProcess.api.close()
	defer gateway.api.close()
	for _, st := range restWalk() {
		a, want := inProcess.do(ctx, t, st)
		b, got := gateway.do(ctx, t, st)
		if st.path == "/openapi.json" && !bytes.Equal(a.body, b.body) {
			t.Errorf("GET /openapi.json: the gateway's document differs from the one process's")
		}
		for _, d := range covers(shape(want), shape(got), st.method+" "+st.path) {
			t.Error(d)
		}
	}
	// /metrics is Prometheus text, both ways.
	for _, s := range []*restStore{inProcess, gateway} {
		a, err := s.api.do(ctx, "GET", "/metrics", nil)
		if err != nil || a.status != http.StatusOK || !bytes.Contains(a.body, []byte("go_goroutines")) {
			t.Errorf("%s: GET /metrics: %v %d, want 200 with the Go runtime's metrics", s.name, err, a.status)
		}
	}

	// The Customer service dies: what needs it answers 503 naming it.
	if err := syscall.Kill(split.pid("customer"), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	down := func(path string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			a, err := gateway.api.do(ctx, "GET", gateway.path(path), nil)
			if err != nil {
				t.Fatal(err)
			}
			var e struct {
				Error   string
				Reasons []string
			}
			a.decode(&e)
			if a.status == http.StatusServiceUnavailable && strings.Contains(e.Error, "customer") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s with the customer module down, want 503 naming it", a)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for _, p := range []string{"/customers/{C}", "/readyz", "/sagas/{O1}", "/dead-letters", "/views/status",
		"/composed/customers/{C}/orderhistory", "/queries/valuable-customers?minTotal=1&state=APPROVED&createdAfter=2000-01-01&via=all"} {
		down(p)
	}
	a, err := gateway.api.do(ctx, "POST", "/orders", map[string]any{"customerId": gateway.ids["C"],
		"orderTotal": map[string]string{"amount": "1.00"}})
	if err != nil || a.status != http.StatusCreated {
		t.Fatalf("an order with the customer module down: %v %s, want 201", err, a)
	}
}
