package bus

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
)

// InProcess is the in-process Transport. Each consumer has a pub/sub of its
// own, so that a message can go to some of its topic's consumers only
// (Addressed), and each subscription in it is a queue that one goroutine
// drains, in order, into the channel the consumer's router handler reads.
//
// It replaces Watermill's GoChannel, which started two goroutines for each
// message it delivered and copied the message twice; here a delivery is one
// copy, and a subscription's goroutines live as long as it does.
//
// Like the GoChannel it is fast and not durable: it loses what it holds on
// Close or a crash. So rows are done only when every consumer that needs
// them has acknowledged them (AfterConsumers), and the relay republishes
// the stale ones.
type InProcess struct {
	mu        sync.Mutex
	consumers map[string]*pubSub
	topics    map[string][]string // topic -> consumers subscribed to it, sorted
}

// NewInProcess returns an in-process transport.
func NewInProcess() *InProcess {
	return &InProcess{consumers: map[string]*pubSub{}, topics: map[string][]string{}}
}

// Publish hands msgs to each consumer subscribed to topic.
func (t *InProcess) Publish(topic string, msgs ...*message.Message) error {
	t.mu.Lock()
	consumers := t.topics[topic]
	t.mu.Unlock()
	return t.PublishTo(consumers, topic, msgs...)
}

// PublishTo hands msgs to those of consumers that are subscribed to topic.
func (t *InProcess) PublishTo(consumers []string, topic string, msgs ...*message.Message) error {
	var errs []error
	for _, c := range consumers {
		t.mu.Lock()
		ps := t.consumers[c]
		subscribed := slices.Contains(t.topics[topic], c)
		t.mu.Unlock()
		if ps == nil || !subscribed {
			continue
		}
		if err := ps.Publish(topic, msgs...); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Subscriber is consumer's own pub/sub.
func (t *InProcess) Subscriber(consumer string) message.Subscriber {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := t.consumers[consumer]
	if ps == nil {
		ps = newPubSub(false)
		t.consumers[consumer] = ps
	}
	return consumerSubscriber{pubSub: ps, consumer: consumer, transport: t}
}

// Completion is AfterConsumers.
func (t *InProcess) Completion() Completion { return AfterConsumers }

// Close closes every consumer's pub/sub.
func (t *InProcess) Close() error {
	t.mu.Lock()
	consumers := make([]*pubSub, 0, len(t.consumers))
	for _, ps := range t.consumers {
		consumers = append(consumers, ps)
	}
	t.mu.Unlock()
	var errs []error
	for _, ps := range consumers {
		errs = append(errs, ps.Close())
	}
	return errors.Join(errs...)
}

// consumerSubscriber is one consumer's pub/sub, which notes the topics the
// consumer subscribes to so that Publish need only look at those.
type consumerSubscriber struct {
	*pubSub
	consumer  string
	transport *InProcess
}

// Subscribe subscribes the consumer to topic.
func (s consumerSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	ch, err := s.pubSub.Subscribe(ctx, topic)
	if err != nil {
		return nil, err
	}
	t := s.transport
	t.mu.Lock()
	defer t.mu.Unlock()
	if !slices.Contains(t.topics[topic], s.consumer) {
		t.topics[topic] = append(slices.Clone(t.topics[topic]), s.consumer)
		slices.Sort(t.topics[topic])
	}
	return ch, nil
}
