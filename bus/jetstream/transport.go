// Package jetstream is a bus.Transport over NATS JetStream, for modules that
// run as separate processes.
//
// Every topic is a subject of one stream (file storage, limits retention,
// so one message fans out to every module that reads its topic). A relay's
// publish carries the message id as Nats-Msg-Id and returns once JetStream
// has stored the message (bus.AfterPublish). Each consumer of each topic is
// a durable pull consumer with explicit acknowledgement: its message is
// acknowledged after the consumer's inbox transaction has committed, and
// redelivered after the ack wait if the process died before. The inbox
// still decides whether a copy is new: JetStream's deduplication covers a
// time window only.
//
// It uses nats.go's jetstream package directly rather than watermill-nats:
// that adapter's durable subscriptions are recreated on restart (which
// redelivers acknowledged messages, watermill#671), its DeliverAll replays
// old messages (watermill#389), and its grouped consumer needs work-queue
// streams, which cannot fan one event out to several modules. Here a
// durable consumer is created once and reused with its acknowledged
// position.
package jetstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"sagalab/bus"
)

// Config sets up a Transport. Give URL or InProcess.
type Config struct {
	// URL is the broker's address, e.g. nats://127.0.0.1:4222; several
	// comma-separated addresses name the members of a cluster.
	URL string
	// InProcess connects to a server running in this process, with no TCP
	// port (tests).
	InProcess nats.InProcessConnProvider
	// Name identifies the connection to the broker (e.g. the module).
	Name string
	// Stream is the stream that holds every topic; default "SAGALAB".
	Stream string
	// Replicas is how many brokers keep each message; default 1.
	Replicas int
	// AckWait is how long a delivered message may stay unacknowledged
	// before JetStream delivers it again; default 5s. A consumer still
	// working on a message tells the broker so, and keeps it.
	AckWait time.Duration
	// SetupTimeout bounds the wait for the stream at start: a new cluster
	// elects its leader first; default 30s.
	SetupTimeout time.Duration
	Logger       *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Stream == "" {
		c.Stream = "SAGALAB"
	}
	if c.Replicas <= 0 {
		c.Replicas = 1
	}
	if c.AckWait <= 0 {
		c.AckWait = 5 * time.Second
	}
	if c.SetupTimeout <= 0 {
		c.SetupTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Transport is the JetStream bus.Transport.
type Transport struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	ctx    context.Context // ends on Close
	cancel context.CancelFunc

	mu     sync.Mutex
	closed bool
	// durables holds each consumer's durable consumers, one per topic.
	durables map[string]map[string]jetstream.Consumer
	loops    sync.WaitGroup
}

var _ bus.Transport = (*Transport)(nil)
var _ bus.Backlogger = (*Transport)(nil)

// New connects to the broker and makes sure the stream exists, retrying
// while a new cluster elects its leader.
func New(ctx context.Context, cfg Config) (*Transport, error) {
	cfg.setDefaults()
	// A broker not up yet is waited for, as a leader election is (see
	// ensureStream): modules may start before it.
	opts := []nats.Option{nats.Name(cfg.Name), nats.MaxReconnects(-1), nats.ReconnectWait(250 * time.Millisecond),
		nats.RetryOnFailedConnect(true)}
	url := cfg.URL
	switch {
	case cfg.InProcess != nil:
		opts = append(opts, nats.InProcessServer(cfg.InProcess))
	case url == "":
		return nil, errors.New("connect to JetStream: no broker address")
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to the broker at %s: %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("connect to JetStream: %w", err)
	}
	t := &Transport{cfg: cfg, nc: nc, js: js, durables: map[string]map[string]jetstream.Consumer{}}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	if err := t.ensureStream(ctx); err != nil {
		t.cancel()
		nc.Close()
		return nil, err
	}
	return t, nil
}

// subjectPrefix starts every subject of the stream.
const subjectPrefix = "sagalab."

// ensureStream creates or updates the stream, retrying until the broker
// answers: a cluster cannot create a replicated stream before it has
// elected a leader.
func (t *Transport) ensureStream(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.SetupTimeout)
	defer cancel()
	cfg := jetstream.StreamConfig{
		Name:       t.cfg.Stream,
		Subjects:   []string{subjectPrefix + ">"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		Replicas:   t.cfg.Replicas,
		Duplicates: 2 * time.Minute,
	}
	wait := 100 * time.Millisecond
	for {
		attempt, done := context.WithTimeout(ctx, 5*time.Second)
		_, err := t.js.CreateOrUpdateStream(attempt, cfg)
		done()
		if err == nil {
			return nil
		}
		t.cfg.Logger.Warn("waiting for the broker (not up yet, or a new cluster electing its leader)",
			"broker", t.cfg.URL, "stream", cfg.Name, "error", err)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("create the stream %s (%d replicas): %w", cfg.Name, cfg.Replicas, err)
		case <-timer.C:
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// subject is the subject of topic.
func subject(topic string) string { return subjectPrefix + topic }

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// durableName names consumer's durable consumer of topic.
func durableName(consumer, topic string) string {
	return unsafeName.ReplaceAllString(consumer, "_") + "--" + unsafeName.ReplaceAllString(topic, "_")
}

// publishTimeout bounds one publish: a broker that does not acknowledge
// in time leaves the row to the relay's next attempt.
const publishTimeout = 10 * time.Second

// Publish stores msgs in the stream, in order, and returns once JetStream
// has acknowledged every one. Each carries its id, qualified by its topic,
// as Nats-Msg-Id: JetStream drops a second publish of it within the
// stream's duplicate window (a relay that published it again after a
// crash). The qualification keeps one id on two topics two messages, as
// Watermill's pub/sub contract wants; sagalab's ids are unique anyway.
func (t *Transport) Publish(topic string, msgs ...*message.Message) error {
	for _, m := range msgs {
		ctx, cancel := context.WithTimeout(t.ctx, publishTimeout)
		_, err := t.js.PublishMsg(ctx, toNats(subject(topic), m), jetstream.WithMsgID(topic+":"+m.UUID))
		cancel()
		if err != nil {
			return fmt.Errorf("publish %s to JetStream: %w", m.UUID, err)
		}
	}
	return nil
}

// Subscriber is consumer's subscriber: each topic it subscribes to gets a
// durable JetStream consumer of its own, which keeps its acknowledged
// position across restarts.
func (t *Transport) Subscriber(consumer string) message.Subscriber {
	return &subscriber{t: t, consumer: consumer, closing: make(chan struct{})}
}

// Completion is bus.AfterPublish: JetStream keeps every message until each
// durable consumer has acknowledged it.
func (t *Transport) Completion() bus.Completion { return bus.AfterPublish }

// Backlog is how many messages consumer has not acknowledged yet, over the
// topics it subscribed to through t: waiting in the stream or delivered and
// unacknowledged.
//
// A consumer counts a newly stored message as pending a moment after the
// publish was acknowledged, so NumPending alone can read 0 for a message
// the relay has already published. The stream's last sequence on the
// topic is read from the stream itself: a consumer that has not been
// delivered up to it has a backlog whatever its count says.
func (t *Transport) Backlog(consumer string) (int, error) {
	t.mu.Lock()
	cs := map[string]jetstream.Consumer{}
	for topic, c := range t.durables[consumer] {
		cs[topic] = c
	}
	t.mu.Unlock()
	ctx, cancel := context.WithTimeout(t.ctx, 5*time.Second)
	defer cancel()
	n := 0
	for topic, c := range cs {
		info, err := c.Info(ctx)
		if err != nil {
			return 0, fmt.Errorf("backlog of %s: %w", consumer, err)
		}
		last, err := t.lastSequence(ctx, topic)
		if err != nil {
			return 0, fmt.Errorf("backlog of %s: %w", consumer, err)
		}
		n += info.NumAckPending
		if info.Delivered.Stream < last {
			n += max(int(info.NumPending), 1)
		}
	}
	return n, nil
}

// lastSequence is the stream sequence of the last message stored on topic,
// 0 when there is none.
func (t *Transport) lastSequence(ctx context.Context, topic string) (uint64, error) {
	s, err := t.js.Stream(ctx, t.cfg.Stream)
	if err != nil {
		return 0, fmt.Errorf("stream %s: %w", t.cfg.Stream, err)
	}
	m, err := s.GetLastMsgForSubject(ctx, subject(topic))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("last message on %s: %w", topic, err)
	}
	return m.Sequence, nil
}

// durable creates consumer's durable consumer of topic, or takes the
// existing one with its position.
func (t *Transport) durable(ctx context.Context, consumer, topic string) (jetstream.Consumer, error) {
	name := durableName(consumer, topic)
	c, err := t.js.CreateOrUpdateConsumer(ctx, t.cfg.Stream, jetstream.ConsumerConfig{
		Durable:       name,
		Description:   consumer + " reads " + topic,
		FilterSubject: subject(topic),
		DeliverPolicy: jetstream.DeliverAllPolicy, // applies when it is created only
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       t.cfg.AckWait,
		MaxDeliver:    -1, // the consumer parks what it cannot handle; see subscriber
		MaxAckPending: 1024,
		Replicas:      0, // as the stream
	})
	if err != nil {
		return nil, fmt.Errorf("durable consumer %s: %w", name, err)
	}
	if err := consumerLeader(ctx, c); err != nil {
		return nil, fmt.Errorf("durable consumer %s: %w", name, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.durables[consumer] == nil {
		t.durables[consumer] = map[string]jetstream.Consumer{}
	}
	t.durables[consumer][topic] = c
	return c, nil
}

// consumerLeader waits until consumer c has a leader. In a cluster a new
// consumer is replicated like its stream and elects its own leader after
// it is created; a pull sent before that goes unanswered, and the
// subscription would wait for the pull to expire (30 s) before it asks
// again. On a single broker the leader is there at once.
func consumerLeader(ctx context.Context, c jetstream.Consumer) error {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		info, err := c.Info(ctx)
		if err == nil && (info.Cluster == nil || info.Cluster.Leader != "") {
			return nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			if err == nil {
				err = errors.New("no leader elected")
			}
			return fmt.Errorf("wait for its leader: %w: %w", ctx.Err(), err)
		case <-timer.C:
		}
	}
}

// Close ends the subscriptions, giving back to the broker the messages
// they held and had not handled, and closes the connection.
func (t *Transport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	t.mu.Unlock()
	t.cancel()
	t.loops.Wait()
	if err := t.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionClosed) {
		t.nc.Close()
		return fmt.Errorf("close the JetStream connection: %w", err)
	}
	return nil
}

// isClosed reports whether Close was called.
func (t *Transport) isClosed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// Stream returns the stream's state, for whoever shows it.
func (t *Transport) Stream(ctx context.Context) (*jetstream.StreamInfo, error) {
	s, err := t.js.Stream(ctx, t.cfg.Stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", t.cfg.Stream, err)
	}
	return s.Info(ctx)
}
