package bus

import (
	"context"
	"errors"
	"maps"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"
)

// errPubSubClosed is what a closed pub/sub answers a publish or subscribe.
var errPubSubClosed = errors.New("pub/sub closed")

// pubSub is one consumer's in-process pub/sub (see InProcess): a
// watermill Publisher and Subscriber in memory. A message published to a
// topic goes, as a copy of its own, to every subscription to the topic,
// in the order it was published; while the topic has none, it waits for
// the first. A subscription hands out its next message without waiting
// for the one before to be acknowledged, and hands a nacked message out
// again after those already waiting.
//
// A persistent pub/sub (as Watermill's GoChannel can be, for its tests)
// keeps every message and hands each new subscription all of its topic's.
type pubSub struct {
	persistent bool

	mu      sync.Mutex
	closed  bool
	subs    map[string][]*subscription    // topic -> its subscriptions
	waiting map[string][]*message.Message // topic -> published while it had none (all, if persistent)
	running sync.WaitGroup                // the subscriptions' goroutines
}

func newPubSub(persistent bool) *pubSub {
	return &pubSub{persistent: persistent, subs: map[string][]*subscription{}, waiting: map[string][]*message.Message{}}
}

// Publish implements message.Publisher.
func (p *pubSub) Publish(topic string, msgs ...*message.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errPubSubClosed
	}
	subs := p.subs[topic]
	if len(subs) == 0 || p.persistent {
		for _, m := range msgs {
			p.waiting[topic] = append(p.waiting[topic], copyMessage(m))
		}
	}
	for _, s := range subs {
		s.add(msgs...)
	}
	return nil
}

// Subscribe implements message.Subscriber: the channel is closed when ctx
// ends or the pub/sub closes.
func (p *pubSub) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPubSubClosed
	}
	s := &subscription{
		out:         make(chan *message.Message),
		ready:       make(chan struct{}, 1),
		handed:      make(chan struct{}, 1),
		done:        make(chan struct{}),
		unsubscribe: func(s *subscription) { p.unsubscribe(topic, s) },
	}
	if p.persistent {
		for _, m := range p.waiting[topic] {
			s.queue = append(s.queue, copyMessage(m))
		}
	} else {
		s.queue = p.waiting[topic]
		delete(p.waiting, topic)
	}
	if len(s.queue) > 0 {
		s.ready <- struct{}{}
	}
	p.subs[topic] = append(p.subs[topic], s)
	p.running.Add(2)
	go func() {
		defer p.running.Done()
		s.deliver(ctx)
	}()
	go func() {
		defer p.running.Done()
		s.settle()
	}()
	return s.out, nil
}

// unsubscribe ends s, a subscription to topic.
func (p *pubSub) unsubscribe(topic string, s *subscription) {
	p.mu.Lock()
	defer p.mu.Unlock()
	subs := p.subs[topic]
	for i, x := range subs {
		if x == s {
			p.subs[topic] = append(subs[:i:i], subs[i+1:]...)
			close(s.done)
			return
		}
	}
}

// Close ends every subscription, closing their channels, and drops what
// they had not handed out; it returns once their goroutines have stopped.
func (p *pubSub) Close() error {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		for topic, subs := range p.subs {
			for _, s := range subs {
				close(s.done)
			}
			delete(p.subs, topic)
		}
		clear(p.waiting)
	}
	p.mu.Unlock()
	p.running.Wait()
	return nil
}

// subscription is a queue of messages for one subscriber. deliver hands
// them out in order; settle watches, in the same order, for each one's
// acknowledgement, and queues a nacked one again.
type subscription struct {
	out         chan *message.Message
	ready       chan struct{} // queue has messages
	handed      chan struct{} // unsettled has messages
	done        chan struct{} // closed when the subscription ends
	unsubscribe func(*subscription)

	mu        sync.Mutex
	queue     []*message.Message // to hand out
	unsettled []*message.Message // handed out, not acknowledged yet
}

// add queues copies of msgs.
func (s *subscription) add(msgs ...*message.Message) {
	s.mu.Lock()
	for _, m := range msgs {
		s.queue = append(s.queue, copyMessage(m))
	}
	s.mu.Unlock()
	signal(s.ready)
}

// deliver hands the queued messages out until the subscription ends or
// ctx does; then it closes out.
func (s *subscription) deliver(ctx context.Context) {
	defer close(s.out)
	var batch []*message.Message
	for {
		batch = s.swap(&s.queue, batch)
		if len(batch) == 0 {
			select {
			case <-s.ready:
				continue
			case <-ctx.Done():
				s.unsubscribe(s)
				return
			case <-s.done:
				return
			}
		}
		for i, m := range batch {
			select {
			case s.out <- m:
			case <-ctx.Done():
				s.unsubscribe(s)
				return
			case <-s.done:
				return
			}
			batch[i] = nil
			s.mu.Lock()
			s.unsettled = append(s.unsettled, m)
			s.mu.Unlock()
			signal(s.handed)
		}
	}
}

// settle waits for each handed-out message's acknowledgement, in order,
// and queues a nacked one again, until the subscription ends.
func (s *subscription) settle() {
	var batch []*message.Message
	for {
		batch = s.swap(&s.unsettled, batch)
		if len(batch) == 0 {
			select {
			case <-s.handed:
				continue
			case <-s.done:
				return
			}
		}
		for i, m := range batch {
			select {
			case <-m.Acked():
			case <-m.Nacked():
				s.add(m)
			case <-s.done:
				return
			}
			batch[i] = nil
		}
	}
}

// swap returns what list (s.queue or s.unsettled) holds and leaves it
// empty, reusing spent's array.
func (s *subscription) swap(list *[]*message.Message, spent []*message.Message) []*message.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := *list
	*list = spent[:0]
	return got
}

// signal wakes whoever waits on c, a channel of capacity 1, unless it
// already has a wake-up waiting.
func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// copyMessage copies m, context included, with acknowledgements of its own:
// each delivery is acknowledged on its own, and a message delivered twice
// (a duplicate, a redelivery) may be handled twice at once.
func copyMessage(m *message.Message) *message.Message {
	c := message.NewMessage(m.UUID, m.Payload)
	if len(m.Metadata) > 0 {
		c.Metadata = maps.Clone(m.Metadata)
	}
	c.SetContext(m.Context())
	return c
}
