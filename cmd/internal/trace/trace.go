// Package trace turns what crossed the bus for one order into a sequence
// diagram: messages between modules and the local transactions they caused,
// drawn as a terminal swimlane, as Mermaid for slides, or as JSON.
package trace

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	ordercontract "sagalab/modules/order/contract"
)

// Kind is what a step of a trace is.
type Kind string

// Step kinds.
const (
	Message     Kind = "message"     // a message from one module to another
	Transaction Kind = "transaction" // a local transaction in one module
)

// Step is one row of a sequence diagram.
type Step struct {
	Kind Kind      `json:"kind"`
	At   time.Time `json:"at"`
	// From is the sending module of a message, or the module of a
	// transaction; To the receiving module of a message.
	From string `json:"from"`
	To   string `json:"to,omitempty"`
	// Type, Topic, MessageID, CausationID and Summary describe a message.
	Type        string `json:"type,omitempty"`
	Topic       string `json:"topic,omitempty"`
	MessageID   string `json:"messageId,omitempty"`
	CausationID string `json:"causationId,omitempty"`
	Summary     string `json:"summary,omitempty"`
	// Effect is what a transaction changed.
	Effect string `json:"effect,omitempty"`
	// Emits names the messages an initiating transaction wrote, when it
	// wrote several: one step stands for the transaction, not one per
	// message.
	Emits []string `json:"emits,omitempty"`
	// Statements are a transaction's statements in order, BEGIN to COMMIT,
	// when it is shown statement by statement (the monolith's).
	Statements []string `json:"statements,omitempty"`
	// Compensation marks a step that undoes an earlier one.
	Compensation bool `json:"compensation,omitempty"`
	// Duplicate marks a copy a consumer had already handled.
	Duplicate bool `json:"duplicate,omitempty"`
	// Pending marks a message not handled yet.
	Pending bool `json:"pending,omitempty"`
}

// Trace is the story of one order's sagas.
type Trace struct {
	OrderID      string   `json:"orderId"`
	SagaMode     string   `json:"sagaMode"`
	State        string   `json:"orderState"`
	Participants []string `json:"participants"`
	Steps        []Step   `json:"steps"`
}

// label names a message: its type, what kind of message it is when not an
// event, and its telling fields.
func (st Step) label() string {
	l := st.Type
	if kind := MessageKind(st.Topic); kind != "event" {
		l += " (" + kind + ")"
	}
	if st.Summary != "" {
		l += " " + st.Summary
	}
	if laneOf(st.To) != st.To {
		l += " → " + st.To // a consumer drawn in another's lane: say whose
	}
	return l
}

// boxText is what a transaction's box says: its effect, and whose it is
// when drawn in another's lane.
func (st Step) boxText() string {
	text := st.Effect
	if text == "" {
		text = "no change"
	}
	if laneOf(st.From) != st.From {
		text = st.From + ": " + text
	}
	return text
}

// emitsText says which messages a transaction wrote, when it wrote several.
func (st Step) emitsText() string {
	if len(st.Emits) == 0 {
		return ""
	}
	return "emits " + strings.Join(st.Emits, ", ")
}

// MessageKind says what a message on topic is: "command", "reply" or
// "event".
func MessageKind(topic string) string {
	switch {
	case strings.HasSuffix(topic, ".replies"):
		return "reply"
	case strings.HasSuffix(topic, ".commands"):
		return "command"
	}
	return "event"
}

// Names are the participants' display names.
var Names = map[string]string{"order": "Order service", "customer": "Customer service", "history": "History view"}

// lanes maps the consumers that are not participants of their own to the
// participant whose lane shows them: the two-phase commit coordinator lives
// in the Order service.
var lanes = map[string]string{ordercontract.Coordinator: "order"}

// coordination names how the traced order is coordinated: "choreography
// saga", "orchestration saga" or "two-phase commit".
func (t Trace) coordination() string {
	if t.SagaMode == string(ordercontract.TwoPhaseCommit) {
		return "two-phase commit"
	}
	return t.SagaMode + " saga"
}

// laneOf returns the participant whose lane shows consumer.
func laneOf(consumer string) string {
	if l, ok := lanes[consumer]; ok {
		return l
	}
	return consumer
}

// compensations are the message types that undo an earlier step.
var compensations = []string{"ReleaseCredit", "CustomerCreditReleased", "OrderRejected", "OrderCancelled"}

// IsCompensation reports whether messages of type typ undo an earlier step.
func IsCompensation(typ string) bool { return slices.Contains(compensations, typ) }

// Summarize shortens a message payload to its telling fields: amounts and
// reasons.
func Summarize(payload []byte) string {
	var p map[string]any
	if json.Unmarshal(payload, &p) != nil {
		return ""
	}
	var parts []string
	for _, k := range []string{"orderTotal", "amount", "creditLimit", "reason", "sagaMode"} {
		if v, ok := p[k]; ok && v != "" && v != "0.00" {
			parts = append(parts, fmt.Sprint(v))
		}
	}
	return strings.Join(parts, " ")
}

// Shortener shortens long ids consistently so students can follow one
// order: every id of more than 8 characters becomes its first 8.
type Shortener struct{ ids []string }

// Add registers ids to shorten.
func (s *Shortener) Add(ids ...string) {
	for _, id := range ids {
		if len(id) > 8 && !slices.Contains(s.ids, id) {
			s.ids = append(s.ids, id)
		}
	}
}

// Apply shortens every registered id in text.
func (s *Shortener) Apply(text string) string {
	for _, id := range s.ids {
		text = strings.ReplaceAll(text, id, id[:8])
	}
	return text
}

// Shorten returns t with its long ids shortened everywhere.
func Shorten(t Trace) Trace {
	var sh Shortener
	sh.Add(t.OrderID)
	for _, st := range t.Steps {
		sh.Add(st.MessageID, st.CausationID)
	}
	out := t
	out.OrderID = sh.Apply(t.OrderID)
	out.Steps = make([]Step, len(t.Steps))
	for i, st := range t.Steps {
		st.MessageID, st.CausationID = sh.Apply(st.MessageID), sh.Apply(st.CausationID)
		st.Effect, st.Summary = ShortenUUIDs(sh.Apply(st.Effect)), ShortenUUIDs(sh.Apply(st.Summary))
		out.Steps[i] = st
	}
	return out
}

// ShortenUUIDs shortens every UUID in text to its first 8 characters.
func ShortenUUIDs(text string) string {
	var b strings.Builder
	for i := 0; i < len(text); {
		if isUUIDAt(text, i) {
			b.WriteString(text[i : i+8])
			i += 36
			continue
		}
		b.WriteByte(text[i])
		i++
	}
	return b.String()
}

func isUUIDAt(s string, i int) bool {
	if i+36 > len(s) {
		return false
	}
	for j := range 36 {
		c := s[i+j]
		switch j {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// JSON writes t as indented JSON.
func JSON(w io.Writer, t Trace) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}
