package bus

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Metadata keys of the envelope that every sagalab message carries.
const (
	MetaType          = "type"
	MetaSource        = "source"
	MetaCorrelationID = "correlation_id"
	MetaCausationID   = "causation_id"
	MetaReplyTo       = "reply_to"
	MetaSeq           = "seq"
	MetaPosition      = "position"
	MetaCreatedAt     = "created_at"
)

// Message is a message a module emits: it is written to the module's outbox
// in the transaction that caused it and published later by the relay.
type Message struct {
	// ID is the message id; the outbox makes one when it is empty.
	ID    string
	Topic string
	Type  string
	// CorrelationID ties every message of one saga together (the order id).
	CorrelationID string
	// CausationID is the id of the message that caused this one, if any.
	CausationID string
	// ReplyTo is the topic a command's reply goes to; empty for events.
	ReplyTo string
	// Payload is marshalled to JSON.
	Payload any
	// Effect says, for a message written by an initiating transaction (a
	// request, a timeout), what that transaction changed. Handlers use
	// Tx.Note.
	Effect string
	// Stream and Version place the message in an event stream: set by an
	// event store whose events are the module's outbox rows (see
	// bus/eventstore). Empty for other messages.
	Stream  string
	Version int64
}

// Envelope is a message as a consumer receives it.
type Envelope struct {
	ID            string
	Type          string
	Source        string
	Topic         string
	CorrelationID string
	CausationID   string
	ReplyTo       string
	// Seq is the message's place in its source module's outbox.
	Seq int64
	// Position is the message's place on its topic.
	Position  int64
	CreatedAt time.Time
	Payload   json.RawMessage
}

// Decode unmarshals the payload into v.
func (e Envelope) Decode(v any) error {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		return fmt.Errorf("decode %s %s: %w", e.Type, e.ID, err)
	}
	return nil
}

// Caused returns a message caused by e: it keeps e's correlation id and
// names e as its cause.
func (e Envelope) Caused(topic, typ string, payload any) Message {
	return Message{Topic: topic, Type: typ, CorrelationID: e.CorrelationID, CausationID: e.ID, Payload: payload}
}

func envelopeFrom(msg *message.Message) Envelope {
	seq, _ := strconv.ParseInt(msg.Metadata.Get(MetaSeq), 10, 64)
	pos, _ := strconv.ParseInt(msg.Metadata.Get(MetaPosition), 10, 64)
	created, _ := strconv.ParseInt(msg.Metadata.Get(MetaCreatedAt), 10, 64)
	return Envelope{
		ID:            msg.UUID,
		Type:          msg.Metadata.Get(MetaType),
		Source:        msg.Metadata.Get(MetaSource),
		Topic:         message.SubscribeTopicFromCtx(msg.Context()),
		CorrelationID: msg.Metadata.Get(MetaCorrelationID),
		CausationID:   msg.Metadata.Get(MetaCausationID),
		ReplyTo:       msg.Metadata.Get(MetaReplyTo),
		Seq:           seq,
		Position:      pos,
		CreatedAt:     time.Unix(0, created),
		Payload:       json.RawMessage(msg.Payload),
	}
}

// Position is how far a topic has been written or read: the position of a
// message on its topic. It reads as "order.events:17".
type Position struct {
	Topic string
	N     int64
}

func (p Position) String() string { return p.Topic + ":" + strconv.FormatInt(p.N, 10) }

// ParsePosition reads a position written by Position.String.
func ParsePosition(s string) (Position, error) {
	i := strings.LastIndexByte(s, ':')
	if i <= 0 {
		return Position{}, fmt.Errorf("%q is not a position such as order.events:17", s)
	}
	n, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || n < 0 {
		return Position{}, fmt.Errorf("%q is not a position such as order.events:17", s)
	}
	return Position{Topic: s[:i], N: n}, nil
}

// At returns the envelope's position on its topic.
func (e Envelope) At() Position { return Position{Topic: e.Topic, N: e.Position} }
