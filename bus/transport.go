package bus

import "github.com/ThreeDotsLabs/watermill/message"

// Transport carries the messages relays publish to the consumers that
// subscribe to their topics: the seam between the outbox and a broker.
//
// A relay reads committed outbox rows in order and publishes them through
// Publish, a batch per topic at a time. When a row is done (the relay may
// move its saved position past it) depends on the transport, as Completion
// says: an in-process pub/sub that can drop messages needs every consumer's
// acknowledgement and republishes what stays unacknowledged; a durable
// broker is done with a row once it has acknowledged the publish, and
// redelivers to its consumers itself.
type Transport interface {
	// Publish hands msgs, in order, to topic's subscribers. It returns
	// once the transport has taken them: for a broker, once the broker has
	// acknowledged them; an error leaves them to be published again.
	Publish(topic string, msgs ...*message.Message) error
	// Subscriber is what consumer's handlers subscribe through. A broker
	// gives each consumer its own durable subscription; an in-process
	// pub/sub may share one.
	Subscriber(consumer string) message.Subscriber
	// Completion says when a published row is done.
	Completion() Completion
	// Close stops publishing and ends the subscriptions.
	Close() error
}

// Completion is when a relay is done with a published row.
type Completion int

const (
	// AfterConsumers: a row is done once every consumer of its topic has
	// handled it (Bus.acked); the relay publishes it again after
	// Config.RedeliverAfter while any has not.
	AfterConsumers Completion = iota
	// AfterPublish: a row is done once Publish has returned without error.
	AfterPublish
)

// Backlogger is a Transport that keeps each consumer's messages itself (a
// durable broker, Completion AfterPublish) and can say how many a consumer
// has not acknowledged yet. Bus.Idle asks it: the relays of such a
// transport are done with a row as soon as it is published.
type Backlogger interface {
	// Backlog is how many messages consumer has not acknowledged yet.
	Backlog(consumer string) (int, error)
}

// Addressed is a Transport that can hand a message to chosen consumers of
// its topic only. The relays of an Addressed transport that is done
// AfterConsumers publish each row only to the consumers that need it (see
// Bus.Needing): the others would only acknowledge it, at the cost of a
// delivery each.
type Addressed interface {
	// PublishTo hands msgs, in order, to those of consumers that
	// subscribe to topic.
	PublishTo(consumers []string, topic string, msgs ...*message.Message) error
}
