package bus

import (
	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
)

// GoChannel is the in-process Transport: Watermill's GoChannel pub/sub. It
// is fast and not durable: it drops messages nobody is subscribed to, loses
// what is in flight on Close or a crash, and does not keep order. So rows
// are done only when every consumer has acknowledged them (AfterConsumers),
// and the relay republishes the stale ones.
type GoChannel struct {
	ps *gochannel.GoChannel
}

// NewGoChannel returns an in-process transport that logs to log.
func NewGoChannel(log watermill.LoggerAdapter) *GoChannel {
	return &GoChannel{ps: gochannel.NewGoChannel(gochannel.Config{}, log)}
}

// Publish hands msgs to topic's current subscribers.
func (g *GoChannel) Publish(topic string, msgs ...*message.Message) error {
	return g.ps.Publish(topic, msgs...)
}

// Subscriber is the pub/sub itself: every consumer subscribes to it.
func (g *GoChannel) Subscriber(string) message.Subscriber { return g.ps }

// Completion is AfterConsumers.
func (g *GoChannel) Completion() Completion { return AfterConsumers }

// Close closes the pub/sub.
func (g *GoChannel) Close() error { return g.ps.Close() }
