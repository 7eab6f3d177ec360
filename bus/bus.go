// Package bus is sagalab's message bus: a Watermill router over an in-memory
// pub/sub, made durable by each module's SQLite outbox and inbox.
//
// The in-memory pub/sub drops messages nobody is subscribed to, loses what is
// in flight on Close or a crash, and does not keep order. So a module never
// publishes directly: it writes messages to its outbox in the same local
// transaction as its state change, and the module's relay publishes them after
// the commit. The relay remembers which messages every consumer has handled
// and, after a restart, publishes again everything after that point. Consumers
// record each message id in their inbox in the same transaction as their
// effects, so a second copy changes nothing. Delivery is at least once;
// effects happen once. A message its consumer still cannot handle after the
// retries is parked as a dead letter in the consumer's database (see
// DeadLetter) instead of coming back for ever.
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

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
	"github.com/google/uuid"

	"sagalab/storage"
)

// Config sets up a Bus. The zero value works.
type Config struct {
	Logger *slog.Logger
	// Faults are injected into delivery; the zero value injects none.
	Faults Faults
	// Observer is told about every message a consumer handles.
	Observer Observer
	// NewID makes message ids; it defaults to random UUIDs.
	NewID func() string
	// Now is the clock stamped on messages; it defaults to time.Now.
	Now func() time.Time
	// PollInterval is how often a relay looks at its outbox when nobody woke
	// it; default 250ms.
	PollInterval time.Duration
	// RedeliverAfter is how long a relay waits for every consumer to handle a
	// message before publishing it again; default 30s.
	RedeliverAfter time.Duration
	// MaxRetries is how many times a failing handler is retried before its
	// message is parked as a dead letter; default 8.
	MaxRetries int
	// Retention is how long outboxes keep messages every consumer has
	// handled; 0 keeps them for ever. The outbox is the module's event log:
	// a view can only be rebuilt from what is kept.
	Retention time.Duration
	// Transport carries published messages to consumers; it defaults to
	// the in-process GoChannel. The bus closes it.
	Transport Transport
}

// setDefaults fills in the zero fields.
func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.NewID == nil {
		c.NewID = uuid.NewString
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 250 * time.Millisecond
	}
	if c.RedeliverAfter <= 0 {
		c.RedeliverAfter = 30 * time.Second
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = 8
	}
}

// validate reports a configuration the bus cannot run with.
func (c *Config) validate() error {
	if c.Retention < 0 {
		return fmt.Errorf("retention %s is negative", c.Retention)
	}
	return nil
}

// Observer is told what crosses the bus.
type Observer interface {
	// Handled is called after a consumer's transaction for a message
	// committed, or after it found the message already in its inbox.
	Handled(Delivery)
}

// ObserverFunc adapts a function to Observer.
type ObserverFunc func(Delivery)

// Handled calls f(d).
func (f ObserverFunc) Handled(d Delivery) { f(d) }

// Handler is a consumer's reaction to a message: it runs inside the
// consumer's local transaction, may change the module's tables and may emit
// messages to the module's outbox through tx.
type Handler func(ctx context.Context, tx *Tx, env Envelope) error

// Bus wires outboxes, consumers and the pub/sub together.
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
	wlog := watermill.NewSlogLoggerWithLevelMapping(cfg.Logger, map[slog.Level]slog.Level{
		slog.LevelInfo: slog.LevelDebug, // Watermill's info lines are start-up chatter
	})
	if cfg.Transport == nil {
		cfg.Transport = NewGoChannel(wlog)
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
	// The first middleware added is the outermost: a closing bus leaves what
	// it interrupted for the next start; park catches what the retries could
	// not fix and parks it as a dead letter (see park.go).
	router.AddMiddleware(
		b.leaveForNextStart,
		b.park,
		middleware.Retry{
			MaxRetries:      cfg.MaxRetries,
			InitialInterval: 5 * time.Millisecond,
			MaxInterval:     time.Second,
			Multiplier:      2,
			// Each retry is logged at info: most are injected faults, and
			// what retries cannot fix is logged as an error when parked.
			Logger:      watermill.NewSlogLoggerWithLevelMapping(cfg.Logger, map[slog.Level]slog.Level{slog.LevelError: slog.LevelInfo}),
			ShouldRetry: func(middleware.RetryParams) bool { return !b.isClosing() },
		}.Middleware,
		countFailures,
		middleware.Recoverer,
	)
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
			paused:    func(c string) bool { return b.gate(c).isShut() },
			wakeCh:    make(chan struct{}, 1),
			pending:   map[string]*inFlight{},
		},
	}
	b.outboxes[source] = o
	return o
}

var errAckLost = errors.New("fault injected: the acknowledgement was lost, the message comes again")

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
// each relay's position, and closes the pub/sub. Messages still in flight are
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
	return b.acks.Load() == before
}

// Hold stops the relays of the named modules (all when none is named) from
// publishing: committed messages stay in their outboxes, as if the process
// had crashed right after its local commits.
func (b *Bus) Hold(sources ...string) {
	for _, o := range b.outboxesNamed(sources) {
		o.relay.held.Store(true)
	}
}

// Release lets the relays of the named modules (all when none is named)
// publish again, and wakes them.
func (b *Bus) Release(sources ...string) {
	for _, o := range b.outboxesNamed(sources) {
		o.relay.held.Store(false)
		o.relay.wake()
	}
}

func (b *Bus) outboxesNamed(sources []string) []*Outbox {
	all := b.outboxList()
	if len(sources) == 0 {
		return all
	}
	var out []*Outbox
	for _, o := range all {
		if slices.Contains(sources, o.source) {
			out = append(out, o)
		}
	}
	return out
}

// PauseConsumer holds every message for consumer until ResumeConsumer: the
// module is "down" while its producers carry on.
func (b *Bus) PauseConsumer(consumer string) { b.gate(consumer).close() }

// ResumeConsumer lets consumer handle messages again.
func (b *Bus) ResumeConsumer(consumer string) { b.gate(consumer).open() }

func (b *Bus) gate(consumer string) *gate {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := b.gates[consumer]
	if g == nil {
		g = newGate()
		b.gates[consumer] = g
	}
	return g
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

// gate blocks handlers while it is closed (PauseConsumer) or held
// (Quiesce), and counts the handlers it has let through.
type gate struct {
	mu     sync.Mutex
	ch     chan struct{} // closed while the gate is open
	shut   bool
	holds  int           // Quiesce calls not yet resumed
	active int           // handlers let through and not yet done
	idle   chan struct{} // closed when active drops to 0
}

func newGate() *gate {
	ch := make(chan struct{})
	close(ch)
	return &gate{ch: ch}
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = true
	g.updateLocked()
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = false
	g.updateLocked()
}

// updateLocked opens or closes ch to match shut and holds.
func (g *gate) updateLocked() {
	select {
	case <-g.ch: // open
		if g.shut || g.holds > 0 {
			g.ch = make(chan struct{})
		}
	default:
		if !g.shut && g.holds == 0 {
			close(g.ch)
		}
	}
}

func (g *gate) isShut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.shut
}

// enter waits until the gate is open and counts the caller in; the caller
// calls leave when done.
func (g *gate) enter(ctx context.Context, closing <-chan struct{}) error {
	for {
		g.mu.Lock()
		ch := g.ch
		select {
		case <-ch:
			g.active++
			g.mu.Unlock()
			return nil
		default:
		}
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-closing:
			return errors.New("bus closing")
		}
	}
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	if g.active == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
}
