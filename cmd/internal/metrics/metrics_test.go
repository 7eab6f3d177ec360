package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"sagalab/bus"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

// value is the value of the metric name with exactly labels, -1 if absent.
func value(t *testing.T, m *Metrics, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, mt := range f.GetMetric() {
			if len(mt.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range mt.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metric
				}
			}
			return read(mt)
		}
	}
	return -1
}

func read(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return -1
}

func post(t *testing.T, h http.Handler, path, body string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
	if rec.Code != 201 {
		t.Fatalf("POST %s = %d %s", path, rec.Code, rec.Body)
	}
}

// After one approved and one rejected saga the metrics say so, in either
// saga mode, with the messages, the outboxes, the view and the requests.
func TestMetricsAfterASaga(t *testing.T) {
	for _, mode := range []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration} {
		t.Run(string(mode), func(t *testing.T) {
			var sys *system.System
			m := New(func(ctx context.Context) (system.Stats, error) { return sys.Stats(ctx) }, nil)
			var err error
			sys, err = system.Start(context.Background(), system.Config{DataDir: t.TempDir(), SagaMode: mode, Observer: m})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sys.Close() })
			api := sys.Handler()
			h := m.Middleware(api)

			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/customers", strings.NewReader(`{"name":"Ann","creditLimit":{"amount":"15.00"}}`)))
			id := strings.Split(rec.Body.String(), `"customerId": "`)[1][:36]
			post(t, h, "/orders", `{"customerId":"`+id+`","orderTotal":{"amount":"10.00"}}`) // approved
			post(t, h, "/orders", `{"customerId":"`+id+`","orderTotal":{"amount":"10.00"}}`) // exceeds what is left
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/nowhere", nil))

			deadline := time.Now().Add(10 * time.Second)
			for value(t, m, "sagalab_sagas_running", map[string]string{"mode": string(mode)}) != 0 ||
				value(t, m, "sagalab_view_lag_events", map[string]string{"topic": "order.events"}) != 0 {
				if time.Now().After(deadline) {
					t.Fatal("sagas still running after 10s")
				}
				time.Sleep(10 * time.Millisecond)
			}
			other := string(ordercontract.Orchestration)
			if mode == ordercontract.Orchestration {
				other = string(ordercontract.Choreography)
			}
			for _, c := range []struct {
				name   string
				labels map[string]string
				want   float64
			}{
				{"sagalab_sagas_started_total", map[string]string{"mode": string(mode)}, 2},
				{"sagalab_sagas_started_total", map[string]string{"mode": other}, 0},
				{"sagalab_sagas_finished_total", map[string]string{"mode": string(mode), "outcome": "approved"}, 1},
				{"sagalab_sagas_finished_total", map[string]string{"mode": string(mode), "outcome": "rejected"}, 1},
				{"sagalab_messages_published_total", map[string]string{"module": "order", "type": "OrderCreated"}, 2},
				{"sagalab_messages_published_total", map[string]string{"module": "order", "type": "OrderApproved"}, 1},
				{"sagalab_messages_published_total", map[string]string{"module": "order", "type": "OrderRejected"}, 1},
				{"sagalab_messages_handled_total", map[string]string{"module": "history", "type": "OrderCreated"}, 2},
				{"sagalab_message_handler_duration_seconds", map[string]string{"module": "history"}, 7},
				{"sagalab_outbox_backlog_messages", map[string]string{"module": "order"}, 0},
				{"sagalab_dead_letters", map[string]string{"module": "customer"}, 0},
				{"sagalab_http_requests_total", map[string]string{"route": "POST /orders", "code": "201"}, 2},
				{"sagalab_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}, 1},
				{"sagalab_http_request_duration_seconds", map[string]string{"route": "POST /customers"}, 1},
			} {
				if got := value(t, m, c.name, c.labels); got != c.want {
					t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
				}
			}
			if value(t, m, "go_goroutines", map[string]string{}) <= 0 {
				t.Error("no Go runtime metrics")
			}
		})
	}
}

// A copy a consumer had handled counts as a duplicate, not as handled; a
// message of a type the consumer does not handle counts as neither.
func TestDuplicatesAndIgnored(t *testing.T) {
	m := New(func(context.Context) (system.Stats, error) { return system.Stats{}, nil }, nil)
	env := bus.Envelope{Type: "OrderCreated"}
	m.Handled(bus.Delivery{Envelope: env, Consumer: "customer", Duplicate: true})
	m.Handled(bus.Delivery{Envelope: env, Consumer: "customer", Ignored: true})
	if got := value(t, m, "sagalab_messages_duplicates_ignored_total", map[string]string{"module": "customer", "type": "OrderCreated"}); got != 1 {
		t.Errorf("duplicates = %v, want 1", got)
	}
	if got := value(t, m, "sagalab_messages_handled_total", map[string]string{"module": "customer", "type": "OrderCreated"}); got != -1 {
		t.Errorf("handled = %v, want none", got)
	}
}
