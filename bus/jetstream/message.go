package jetstream

import (
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// headerUUID carries a Watermill message's id. Nats-Msg-Id carries it too,
// for JetStream's deduplication.
const headerUUID = "Sagalab-Message-Id"

// toNats is the NATS message that carries m on subject.
func toNats(subject string, m *message.Message) *nats.Msg {
	msg := nats.NewMsg(subject)
	msg.Data = m.Payload
	msg.Header.Set(headerUUID, m.UUID)
	for k, v := range m.Metadata {
		msg.Header.Set(k, v)
	}
	return msg
}

// toWatermill is the Watermill message carried by m.
func toWatermill(m jetstream.Msg) *message.Message {
	h := m.Headers()
	wm := message.NewMessage(h.Get(headerUUID), m.Data())
	for k, vs := range h {
		if k == headerUUID || k == jetstream.MsgIDHeader || len(vs) == 0 {
			continue
		}
		wm.Metadata.Set(k, vs[0])
	}
	return wm
}
