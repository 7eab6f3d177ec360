package bus

import (
	"fmt"
	"log/slog"
	"time"

	"sagalab/storage"
)

// Config sets up a Bus. The zero value works.
type Config struct {
	Logger *slog.Logger
	// Faults are injected into delivery; the zero value injects none.
	Faults Faults
	// Observer is told about every message a consumer handles.
	Observer Observer
	// NewID makes message ids; it defaults to time-ordered ones (storage.IDs).
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
	// the in-process transport (InProcess). The bus closes it.
	Transport Transport
}

// setDefaults fills in the zero fields.
func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.NewID == nil {
		c.NewID = storage.NewIDs(nil).New
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
