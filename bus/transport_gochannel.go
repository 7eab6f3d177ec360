package bus

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
)

// GoChannel is the in-process Transport: Watermill's GoChannel pub/sub,
// one per consumer, so that a message can go to some of its topic's
// consumers only (Addressed). It is fast and not durable: it drops
// messages nobody is subscribed to, loses what is in flight on Close or a
// crash, and does not keep order. So rows are done only when every
// consumer that needs them has acknowledged them (AfterConsumers), and the
// relay republishes the stale ones.
type GoChannel struct {
	log watermill.LoggerAdapter

	mu        sync.Mutex
	consumers map[string]*gochannel.GoChannel
	topics    map[string][]string // topic -> consumers subscribed to it, sorted
}

// NewGoChannel returns an in-process transport that logs to log.
func NewGoChannel(log watermill.LoggerAdapter) *GoChannel {
	return &GoChannel{log: log, consumers: map[string]*gochannel.GoChannel{}, topics: map[string][]string{}}
}

// Publish hands msgs to each consumer subscribed to topic.
func (g *GoChannel) Publish(topic string, msgs ...*message.Message) error {
	g.mu.Lock()
	consumers := g.topics[topic]
	g.mu.Unlock()
	return g.PublishTo(consumers, topic, msgs...)
}

// PublishTo hands msgs to those of consumers that are subscribed to topic.
func (g *GoChannel) PublishTo(consumers []string, topic string, msgs ...*message.Message) error {
	var errs []error
	for _, c := range consumers {
		g.mu.Lock()
		ps := g.consumers[c]
		g.mu.Unlock()
		if ps == nil {
			continue
		}
		if err := ps.Publish(topic, msgs...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Subscriber is consumer's own pub/sub.
func (g *GoChannel) Subscriber(consumer string) message.Subscriber {
	g.mu.Lock()
	defer g.mu.Unlock()
	ps := g.consumers[consumer]
	if ps == nil {
		// PreserveContext: a message keeps the relay's context (cancelled
		// when the bus closes, see relay.send) instead of getting one of
		// its own, derived from the subscription's and cancelled after
		// the handling, at a cost per delivery.
		ps = gochannel.NewGoChannel(gochannel.Config{PreserveContext: true}, g.log)
		g.consumers[consumer] = ps
	}
	return subscription{GoChannel: ps, consumer: consumer, transport: g}
}

// Completion is AfterConsumers.
func (g *GoChannel) Completion() Completion { return AfterConsumers }

// Close closes every consumer's pub/sub.
func (g *GoChannel) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	var errs []error
	for _, ps := range g.consumers {
		if err := ps.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// subscription is one consumer's pub/sub, which notes the topics the
// consumer subscribes to so that Publish needs only look at those.
type subscription struct {
	*gochannel.GoChannel
	consumer  string
	transport *GoChannel
}

// Subscribe subscribes the consumer to topic.
func (s subscription) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	ch, err := s.GoChannel.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	g := s.transport
	g.mu.Lock()
	defer g.mu.Unlock()
	if !slices.Contains(g.topics[topic], s.consumer) {
		g.topics[topic] = append(slices.Clone(g.topics[topic]), s.consumer)
		slices.Sort(g.topics[topic])
	}
	return ch, nil
}
