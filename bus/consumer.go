package bus

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"sagalab/storage"
)

// Consumer is one module's receiving end: declared once with the module's
// database and outbox, it handles the message types registered for it with
// Handle, HandleIf and HandleAll, each in a local transaction that also
// records the message in the inbox (see inbox.go); the messages waiting
// for it share one transaction, a savepoint each (see batch.go). The
// registrations are its dispatch table: a message no registration needs is
// acknowledged at once, with no transaction and no inbox row. Register
// before the bus starts.
type Consumer struct {
	bus  *Bus
	name string
	db   *storage.DB
	out  *Outbox
	dl   *deadLetters
	gate *gate
	// routes holds, per topic, the route of each message type; the route
	// of type "" takes every type without one of its own.
	routes map[string]map[string]route
	// batch queues the messages waiting to be handled; onBatch runs once
	// per batch (see batch.go).
	batch     batcher
	onBatch   func(ctx context.Context, tx *Tx, handled []Envelope) error
	lingerFor time.Duration // see Linger
}

// route is how a consumer takes one message type: take decodes a message
// and decides whether the consumer needs it, and returns the handler bound
// to the decoded message, or nil when the message is not needed. A route
// that is not conditional needs every message it takes.
type route struct {
	take        func(ctx context.Context, env Envelope) (run func(ctx context.Context, tx *Tx) error, err error)
	conditional bool
}

// Received is a message with its payload decoded.
type Received[T any] struct {
	Envelope
	Data T
}

// Consumer declares the consumer name of a module whose inbox and dead
// letters live in db and whose handlers emit to out (nil for a module that
// sends nothing). Declaring a name twice returns the same consumer.
func (b *Bus) Consumer(name string, db *storage.DB, out *Outbox) *Consumer {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.consumerByName[name]; ok {
		return c
	}
	dl := b.deadLetters[name]
	if dl == nil {
		dl = newDeadLetters(name, db)
		b.deadLetters[name] = dl
	}
	g := b.gates[name]
	if g == nil {
		g = newGate()
		b.gates[name] = g
	}
	c := &Consumer{bus: b, name: name, db: db, out: out, dl: dl, gate: g, routes: map[string]map[string]route{}}
	b.consumerByName[name] = c
	return c
}

// Name is the consumer's name.
func (c *Consumer) Name() string { return c.name }

// Handle makes c handle messages of type typ on topic with h, which gets
// the payload decoded into a T. A payload that does not decode fails like
// the handler: it is retried, then parked as a dead letter.
func Handle[T any](c *Consumer, topic, typ string, h func(ctx context.Context, tx *Tx, m Received[T]) error) {
	HandleIf(c, topic, typ, nil, h)
}

// HandleIf is Handle for the messages want accepts: want runs before any
// transaction, and a message it declines is acknowledged with no
// transaction and no inbox row. A nil want accepts every message. The
// relay of an Addressed transport asks want too, when it publishes, and
// does not deliver what it declines: want must decide from the message
// and from what never changes, and give the same answer both times.
func HandleIf[T any](c *Consumer, topic, typ string, want func(ctx context.Context, m Received[T]) (bool, error),
	h func(ctx context.Context, tx *Tx, m Received[T]) error) {
	c.route(topic, typ, want != nil, func(ctx context.Context, env Envelope) (func(context.Context, *Tx) error, error) {
		m := Received[T]{Envelope: env}
		if err := env.Decode(&m.Data); err != nil {
			return nil, err
		}
		if want != nil {
			ok, err := want(ctx, m)
			if err != nil || !ok {
				return nil, err
			}
		}
		return func(ctx context.Context, tx *Tx) error { return h(ctx, tx, m) }, nil
	})
}

// HandleAll makes c handle every message on topic that no Handle of its
// type takes, undecoded: for a view that reads a whole topic, or a saga
// engine that reads replies of every kind.
func HandleAll(c *Consumer, topic string, h Handler) {
	c.route(topic, "", false, func(_ context.Context, env Envelope) (func(context.Context, *Tx) error, error) {
		return func(ctx context.Context, tx *Tx) error { return h(ctx, tx, env) }, nil
	})
}

// route registers take for typ on topic, conditional when it may decline a
// message, and, on the topic's first route, subscribes c to it.
func (c *Consumer) route(topic, typ string, conditional bool,
	take func(context.Context, Envelope) (func(context.Context, *Tx) error, error)) {
	if c.routes[topic] == nil {
		c.routes[topic] = map[string]route{}
		c.bus.subscribe(c, topic)
	}
	if _, dup := c.routes[topic][typ]; dup {
		panic(fmt.Sprintf("bus: consumer %s handles %s on %s twice", c.name, typ, topic))
	}
	c.routes[topic][typ] = route{take: take, conditional: conditional}
}

// routeOf returns the route that takes env, if any.
func (c *Consumer) routeOf(env Envelope) (route, bool) {
	routes := c.routes[env.Topic]
	r, ok := routes[env.Type]
	if !ok {
		r, ok = routes[""]
	}
	return r, ok
}

// match returns the handler bound to env, or nil when c does not need it.
func (c *Consumer) match(ctx context.Context, env Envelope) (func(context.Context, *Tx) error, error) {
	r, ok := c.routeOf(env)
	if !ok {
		return nil, nil
	}
	run, err := r.take(ctx, env)
	if err != nil {
		return nil, &handlingError{consumer: c.name, env: env, err: err}
	}
	return run, nil
}

// needs reports whether c needs env: whether it has a handler for env's
// type that accepts it. A message that does not decode is needed, so that
// its handling fails and it is parked. Only a conditional route decodes
// env to decide.
func (c *Consumer) needs(ctx context.Context, env Envelope) bool {
	r, ok := c.routeOf(env)
	if !ok {
		return false
	}
	if !r.conditional {
		return true
	}
	run, err := r.take(ctx, env)
	return run != nil || err != nil
}

// deliver hands env to c: it handles it if needed and acknowledges it.
func (c *Consumer) deliver(ctx context.Context, env Envelope) (Delivery, error) {
	run, err := c.match(ctx, env)
	if err != nil {
		return Delivery{Envelope: env, Consumer: c.name}, err
	}
	return c.handle(ctx, env, run)
}

// subscribe adds c's router handler for topic and makes c a consumer of
// topic for the relay and step mode.
func (b *Bus) subscribe(c *Consumer, topic string) {
	name := c.name + "<-" + topic
	b.mu.Lock()
	if b.consumers[topic] == nil {
		b.consumers[topic] = map[string]bool{}
	}
	b.consumers[topic][c.name] = true
	b.handlers[name] = c.name
	b.topicConsumers[topic] = append(b.topicConsumers[topic], c)
	slices.SortFunc(b.topicConsumers[topic], func(x, y *Consumer) int { return strings.Compare(x.name, y.name) })
	b.mu.Unlock()

	b.router.AddConsumerHandler(name, topic, b.transport.Subscriber(c.name), func(msg *message.Message) error {
		env := envelopeFrom(msg)
		ctx := msg.Context()
		run, err := c.match(ctx, env)
		if err != nil {
			return err
		}
		if run != nil {
			if err := c.gate.enter(ctx, b.closing); err != nil {
				return err
			}
			defer c.gate.leave()
			if err := b.faults.delay(ctx); err != nil {
				return err
			}
		}
		if _, err := c.handle(ctx, env, run); err != nil {
			return err
		}
		if b.faults.loseAck(c.name, env.ID) {
			return errAckLost
		}
		return nil
	})
}

// Needing names, sorted, the consumers of env's topic that need env: those
// with a handler for its type whose condition accepts it. The others
// acknowledge it with no transaction, so their inboxes never show it.
func (b *Bus) Needing(ctx context.Context, env Envelope) []string {
	b.mu.Lock()
	consumers := slices.Clone(b.topicConsumers[env.Topic])
	b.mu.Unlock()
	var out []string
	for _, c := range consumers {
		if c.needs(ctx, env) {
			out = append(out, c.name)
		}
	}
	return out
}
