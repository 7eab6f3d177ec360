package bus

import (
	"encoding/json"
	"fmt"
	"strconv"
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
	// Seq is the message's position in its source module's outbox.
	Seq       int64
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
		CreatedAt:     time.Unix(0, created),
		Payload:       json.RawMessage(msg.Payload),
	}
}
