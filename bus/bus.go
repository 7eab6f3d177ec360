// Package bus is sagalab's message bus: a Watermill router over a
// Transport (by default the in-process one, InProcess), made durable by
// each module's SQLite outbox and inbox.
//
// A module never publishes directly: in one local transaction (a Tx) it
// changes its tables and emits messages to its outbox, and its relay
// publishes them after the commit. The relay remembers which messages are
// done and, after a restart, publishes again everything after that point.
// Consumers record each message id in their inbox in the same transaction as
// their effects, so a second copy changes nothing. Delivery is at least
// once; effects happen once. A message its consumer still cannot handle
// after the retries is parked as a dead letter in the consumer's database
// (see DeadLetter) instead of coming back for ever.
//
// Where things are:
//
//	tx.go                  the unit of work: Tx (Emit, Note, Handling)
//	outbox.go              where a module's messages are written
//	relay.go, acks.go      how committed rows are published (at most publishWindow
//	                       ahead of a consumer), and when they are done
//	relayfeed.go           committed rows handed to the relay, so it need not read them
//	transport*.go          the seam to the pub/sub or broker, and the in-process transport
//	pubsub.go              its pub/sub: a queue per subscription
//	                       (bus/jetstream is the NATS JetStream transport)
//	consumer.go, inbox.go  typed handlers, and the inbox transaction that runs them
//	router.go, wmlog.go    the Watermill router's middleware, and its logger
//	controls.go, gate.go   hold and release relays, pause, resume and quiesce consumers
//	step.go                step mode: one message at a time, for walkthroughs
//	faults.go              injected delivery faults
//	park.go, deadletter*.go dead letters
//	message.go, schema.go  the envelope, and the outbox and inbox tables
//	traffic.go, log.go     reading the outbox and inbox back: traces, event logs
//	stats.go               what operators watch: running, backlog, messages published
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"sagalab/storage"
)

// Handler is a consumer's reaction to a message: it runs inside the
// consumer's local transaction, may change the module's tables and may emit
// messages to the module's outbox through tx.
type Handler func(ctx context.Context, tx *Tx, env Envelope) error

// Bus wires outboxes, their relays, consumers and the transport together.
type Bus struct {
	cfg       Config
	log       *slog.Logger
	transport Transport
	router    *message.Router
	faults    *faultInjector

	mu             sync.Mutex
	outboxes       map[string]*Outbox
	consumers      map[string]map[string]bool // topic -> consumer names
	gates          map[string]*gate           // consumer -> pause gate
	consumerByName map[string]*Consumer
	topicConsumers map[string][]*Consumer // topic -> consumers, by name
	// backlog serves step mode (DeliverNext).
	backlog []held
	// handlers maps router handler names to consumers, whose dead letters
	// deadLetters keeps.
	handlers    map[string]string
	deadLetters map[string]*deadLetters

	stop    context.CancelFunc
	relays  sync.WaitGroup
	closing chan struct{}
	acks    atomic.Uint64 // acknowledgements so far, for Idle
	started bool
	closed  bool
}

// New creates a Bus. Register outboxes and consumers, then call Start.
func New(cfg Config) (*Bus, error) {
	cfg.setDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("bus config: %w", err)
	}
	wlog := watermillLogger(cfg.Logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug, // Watermill's info lines are start-up chatter
	})
	if cfg.Transport == nil {
		cfg.Transport = NewInProcess()
	}
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 5 * time.Second}, wlog)
	if err != nil {
		return nil, fmt.Errorf("create router: %w", err)
	}
	b := &Bus{
		cfg:            cfg,
		log:            cfg.Logger,
		transport:      cfg.Transport,
		router:         router,
		faults:         newFaultInjector(cfg.Faults),
		outboxes:       map[string]*Outbox{},
		consumers:      map[string]map[string]bool{},
		gates:          map[string]*gate{},
		consumerByName: map[string]*Consumer{},
		topicConsumers: map[string][]*Consumer{},
		handlers:       map[string]string{},
		deadLetters:    map[string]*deadLetters{},
		closing:        make(chan struct{}),
	}
	b.router.AddMiddleware(b.middleware()...)
	return b, nil
}

// Outbox registers the outbox of module source, whose tables (Migrations)
// live in db.
func (b *Bus) Outbox(source string, db *storage.DB) *Outbox {
	b.mu.Lock()
	defer b.mu.Unlock()
	if o, ok := b.outboxes[source]; ok {
		return o
	}
	o := &Outbox{
		source: source,
		db:     db,
		newID:  b.cfg.NewID,
		now:    b.cfg.Now,
		relay: &relay{
			source:    source,
			db:        db,
			cfg:       &b.cfg,
			transport: b.transport,
			faults:    b.faults,
			consumers: b.consumersOf,
			needs:     b.needs,
			paused:    func(c string) bool { return b.gate(c).isShut() },
			wakeCh:    make(chan struct{}, 1),
			pending:   map[string]*inFlight{},
			owed:      map[string]int{},
		},
	}
	b.outboxes[source] = o
	return o
}

// Start runs the router and, once it is subscribed to every topic, the
// relays. It returns when delivery has started.
func (b *Bus) Start(ctx context.Context) error {
	for _, o := range b.outboxList() {
		if err := o.relay.loadProgress(ctx); err != nil {
			return err
		}
	}
	for _, dl := range b.deadLetterList() {
		if err := dl.load(ctx); err != nil {
			return err
		}
	}
	go func() {
		if err := b.router.Run(context.Background()); err != nil {
			b.log.Error("router stopped", "error", err)
		}
	}()
	select {
	case <-b.router.Running():
	case <-ctx.Done():
		return fmt.Errorf("start the bus: %w", ctx.Err())
	}
	relayCtx, stop := context.WithCancel(context.Background())
	b.stop = stop
	for _, o := range b.outboxList() {
		b.relays.Add(1)
		go func() {
			defer b.relays.Done()
			o.relay.run(relayCtx, b.log)
		}()
	}
	b.mu.Lock()
	b.started = true
	b.mu.Unlock()
	return nil
}

func (b *Bus) outboxList() []*Outbox {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*Outbox, 0, len(b.outboxes))
	for _, o := range b.outboxes {
		out = append(out, o)
	}
	return out
}

// Close stops the relays, then the router (letting handlers finish), saves
// each relay's position, and closes the transport. Messages still in flight are
// published again by the next Start on the same databases.
func (b *Bus) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	close(b.closing)
	b.mu.Unlock()

	var errs []error
	if b.stop != nil { // started
		b.stop()
		b.relays.Wait()
		if err := b.router.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close router: %w", err))
		}
	}
	for _, o := range b.outboxList() {
		if err := o.relay.saveProgress(context.Background(), true); err != nil {
			errs = append(errs, err)
		}
	}
	if err := b.transport.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close the transport: %w", err))
	}
	return errors.Join(errs...)
}

// Idle reports whether every message written to an outbox so far has been
// handled by all its consumers.
//
// The outboxes are looked at one after another, so a handler may meanwhile
// commit a message to an outbox already looked at and then acknowledge one
// of an outbox not looked at yet: both would seem idle. Idle therefore
// counts acknowledgements and answers true only when none came during the
// look.
func (b *Bus) Idle() bool {
	before := b.acks.Load()
	for _, o := range b.outboxList() {
		if !o.relay.idle() {
			return false
		}
	}
	if !b.brokerIdle() {
		return false
	}
	return b.acks.Load() == before
}

// brokerIdle reports, for a transport that keeps the consumers' messages
// itself (a Backlogger), whether every consumer that is not paused has
// acknowledged all of them. Any other transport is idle when its relays are.
func (b *Bus) brokerIdle() bool {
	bl, ok := b.transport.(Backlogger)
	if !ok {
		return true
	}
	for _, name := range b.consumerNames() {
		if b.gate(name).isShut() {
			continue // its messages wait for its return, not for the bus
		}
		if n, err := bl.Backlog(name); err != nil || n > 0 {
			return false
		}
	}
	return true
}

// consumerNames names the declared consumers.
func (b *Bus) consumerNames() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Collect(maps.Keys(b.consumerByName))
}

func (b *Bus) consumersOf(topic string) map[string]bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return maps.Clone(b.consumers[topic])
}

// acked tells the source outbox that consumer is done with message id.
func (b *Bus) acked(source, id, consumer string) {
	b.acks.Add(1) // before the acknowledgement shows: see Idle
	b.mu.Lock()
	o := b.outboxes[source]
	b.mu.Unlock()
	if o != nil {
		o.relay.acked(id, consumer)
	}
}

func (b *Bus) isClosing() bool {
	select {
	case <-b.closing:
		return true
	default:
		return false
	}
}
