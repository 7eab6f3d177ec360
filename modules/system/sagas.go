package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"sagalab/bus"
	"sagalab/bus/saga"
	"sagalab/modules/order"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
)

// SagaReport is everything known about an order's sagas: the Order service's
// saga status and the messages every module sent and received for the
// order, as a distributed trace would show them.
type SagaReport struct {
	order.SagaStatus
	Traffic []bus.Traffic
	// DeadLetters are the order's messages a consumer could not handle and
	// parked: what a RUNNING saga is stuck on, and why.
	DeadLetters []bus.DeadLetter
}

// SagaReport gathers the report for order id.
func (s *System) SagaReport(ctx context.Context, id string) (SagaReport, error) {
	st, err := s.Orders.SagaStatus(ctx, id)
	if err != nil {
		return SagaReport{}, err
	}
	r := SagaReport{SagaStatus: st}
	for _, out := range []*bus.Outbox{s.Orders.Outbox(), s.Customers.Outbox()} {
		t, err := out.Traffic(ctx, id)
		if err != nil {
			return SagaReport{}, err
		}
		r.Traffic = append(r.Traffic, t...)
	}
	slices.SortStableFunc(r.Traffic, func(a, b bus.Traffic) int { return a.At.Compare(b.At) })
	if r.DeadLetters, err = s.Bus.DeadLettersOf(ctx, id); err != nil {
		return SagaReport{}, err
	}
	return r, nil
}

// Line is one line of a saga's story.
type Line struct {
	At     time.Time `json:"at"`
	Module string    `json:"module"`
	Text   string    `json:"text"`
}

var serviceName = map[string]string{"order": "Order service", "customer": "Customer service"}

// Story tells what happened, oldest first, in plain words.
func (r SagaReport) Story() []Line {
	var lines []Line
	commands := map[string]bool{}
	for _, run := range r.Runs {
		for _, e := range run.Log {
			if e.Kind.SendsCommand() {
				commands[e.MessageID] = true
			}
			lines = append(lines, Line{At: e.At, Module: "order", Text: sagaLogText(run.Type, e)})
		}
	}
	for _, t := range r.Traffic {
		switch {
		case t.Sent && commands[t.ID]:
			continue // the saga log already tells it
		case t.Sent:
			lines = append(lines, Line{At: t.At, Module: t.Module, Text: fmt.Sprintf(
				"local transaction committed with %s in the outbox (to %s)", t.Type, t.Topic)})
		default:
			lines = append(lines, Line{At: t.At, Module: t.Module, Text: fmt.Sprintf(
				"received %s from the %s (inbox record and effects: one local transaction)", t.Type, serviceName[t.Source])})
		}
	}
	for _, dl := range r.DeadLetters {
		lines = append(lines, Line{At: dl.FirstSeen, Module: dl.Consumer, Text: parkedText(dl)})
	}
	slices.SortStableFunc(lines, func(a, b Line) int { return a.At.Compare(b.At) })
	return lines
}

func sagaLogText(typ string, e saga.LogEntry) string {
	switch e.Kind {
	case "start":
		return "orchestrator: " + typ + " saga started"
	case "local":
		return fmt.Sprintf("orchestrator: step %q ran as a local transaction", e.Step)
	case "command", "command (again)":
		return fmt.Sprintf("orchestrator: step %q sent %s %s to the Customer service", e.Step, e.Kind, e.MessageType)
	case "reply":
		return fmt.Sprintf("orchestrator: step %q got reply %s", e.Step, e.MessageType)
	case "late reply":
		return fmt.Sprintf("orchestrator: late reply %s (the saga had moved on)", e.MessageType)
	case "unexpected":
		return fmt.Sprintf("orchestrator: step %q ignored unexpected %s", e.Step, e.MessageType)
	case "timeout":
		return fmt.Sprintf("orchestrator: step %q got no reply before its deadline", e.Step)
	case "compensation":
		return fmt.Sprintf("orchestrator: compensation of step %q ran", e.Step)
	case "compensation command":
		return fmt.Sprintf("orchestrator: compensation of step %q sent %s", e.Step, e.MessageType)
	case "completed":
		return "orchestrator: " + typ + " saga completed"
	case "compensated":
		return "orchestrator: " + typ + " saga ended compensated"
	}
	return "orchestrator: " + string(e.Kind)
}

// sagaJSON is the GET /sagas/{orderId} answer.
type sagaJSON struct {
	OrderID         string      `json:"orderId"`
	SagaMode        string      `json:"sagaMode"`
	OrderState      string      `json:"orderState"`
	RejectionReason string      `json:"rejectionReason,omitempty"`
	State           saga.State  `json:"state"`
	WaitingFor      string      `json:"waitingFor,omitempty"`
	Compensating    bool        `json:"compensating"`
	Deadline        *time.Time  `json:"deadline,omitempty"`
	Sagas           []runJSON   `json:"sagas,omitempty"`
	Messages        []trafficJS `json:"messages"`
	Story           []Line      `json:"story"`
	// StuckOn are the order's dead letters (see SagaReport.DeadLetters).
	StuckOn []DeadLetterJSON `json:"stuckOn,omitempty"`
}

type runJSON struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	State        saga.State      `json:"state"`
	Step         string          `json:"step"`
	StepIndex    int             `json:"stepIndex"`
	Steps        int             `json:"steps"`
	Compensating bool            `json:"compensating"`
	Deadline     *time.Time      `json:"deadline,omitempty"`
	Version      int             `json:"version"`
	Data         any             `json:"data"`
	Log          []saga.LogEntry `json:"log"`
}

type trafficJS struct {
	At        time.Time `json:"at"`
	Module    string    `json:"module"`
	Direction string    `json:"direction"`
	Type      string    `json:"type"`
	MessageID string    `json:"messageId"`
	Topic     string    `json:"topic,omitempty"`
	From      string    `json:"from"`
	Causation string    `json:"causationId,omitempty"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// JSON is the report as GET /sagas/{orderId} answers it.
func (r SagaReport) JSON() any { return r.json() }

func (r SagaReport) json() sagaJSON {
	out := sagaJSON{OrderID: r.Order.ID, SagaMode: string(r.Order.SagaMode), OrderState: string(r.Order.State),
		RejectionReason: r.Order.RejectionReason, State: r.State, WaitingFor: r.Waiting, Compensating: r.Compensating,
		Deadline: timePtr(r.Deadline), Story: r.Story(), Messages: []trafficJS{}}
	for _, run := range r.Runs {
		out.Sagas = append(out.Sagas, runJSON{ID: run.ID, Type: run.Type, State: run.State, Step: run.Step,
			StepIndex: run.StepIndex, Steps: run.Steps, Compensating: run.Compensating, Deadline: timePtr(run.Deadline),
			Version: run.Version, Data: rawJSON(run.Data), Log: run.Log})
	}
	for _, dl := range r.DeadLetters {
		out.StuckOn = append(out.StuckOn, DeadLetterJSONOf(dl))
	}
	for _, t := range r.Traffic {
		dir := "received"
		if t.Sent {
			dir = "sent"
		}
		out.Messages = append(out.Messages, trafficJS{At: t.At, Module: t.Module, Direction: dir, Type: t.Type,
			MessageID: t.ID, Topic: t.Topic, From: t.Source, Causation: t.CausationID})
	}
	return out
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

func (s *System) sagaRoutes(mux *http.ServeMux) {
	mux.Handle("GET /sagas/{orderId}", httpjson.Handle(s.log, func(w http.ResponseWriter, r *http.Request) error {
		rep, err := s.SagaReport(r.Context(), r.PathValue("orderId"))
		if errors.Is(err, ordercontract.ErrNotFound) {
			return httpjson.Errorf(http.StatusNotFound, "order %q not found", r.PathValue("orderId"))
		}
		if err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, rep.json())
		return nil
	}))
	mux.Handle("GET /sagas", unfinishedSagas(s.log, s.Orders))
}

// unfinishedSagas answers GET /sagas?stuck=D: the sagas not finished that
// started at least D ago, oldest first.
func unfinishedSagas(log *slog.Logger, orders *order.Module) http.Handler {
	return httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		var stuck time.Duration
		if v := r.URL.Query().Get("stuck"); v != "" {
			var err error
			if stuck, err = time.ParseDuration(v); err != nil || stuck < 0 {
				return httpjson.Errorf(http.StatusBadRequest, "stuck: %q is not a duration such as 10s", v)
			}
		}
		list, err := orders.Unfinished(r.Context(), stuck)
		if err != nil {
			return err
		}
		out := make([]sagaJSON, 0, len(list))
		for _, st := range list {
			out = append(out, SagaReport{SagaStatus: st}.json())
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"sagas": out})
		return nil
	})
}
