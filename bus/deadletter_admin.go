package bus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrNotRunning is returned for a dead letter retried on a bus that is not
// delivering: not started, or closing.
var ErrNotRunning = errors.New("the bus is not running")

// ErrPaused is returned for a dead letter retried while its consumer is
// paused (down).
var ErrPaused = errors.New("the consumer is paused")

// DeadLetters returns every consumer's dead letters, by consumer name and,
// for each, oldest first. It only reads the consumers' databases, so it also
// works on a bus that was never started.
func (b *Bus) DeadLetters(ctx context.Context) ([]DeadLetter, error) {
	return b.queryDeadLetters(ctx, "")
}

// DeadLettersOf returns the dead letters of correlationID (an order's, for
// one), by consumer name and, for each, oldest first.
func (b *Bus) DeadLettersOf(ctx context.Context, correlationID string) ([]DeadLetter, error) {
	return b.queryDeadLetters(ctx, `AND correlation_id = ?`, correlationID)
}

func (b *Bus) queryDeadLetters(ctx context.Context, and string, args ...any) ([]DeadLetter, error) {
	var out []DeadLetter
	for _, dl := range b.deadLetterList() {
		list, err := dl.query(ctx, dl.db.Reader(), and, args...)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// DeadLetter returns consumer's dead letter of message id, or an error
// wrapping ErrNoDeadLetter.
func (b *Bus) DeadLetter(ctx context.Context, consumer, id string) (DeadLetter, error) {
	dl, err := b.deadLettersOfConsumer(consumer)
	if err != nil {
		return DeadLetter{}, err
	}
	return dl.get(ctx, id)
}

// RetryDeadLetter hands consumer's dead letter of message id to the
// consumer again, through the same code as a delivery from the pub/sub:
// inbox check, one local transaction, observer. If the handler succeeds (or
// the inbox shows the message was handled already), the same transaction
// removes the record. If it fails again, the record keeps it with one more
// attempt and the new error, returned in the DeadLetter, and the error wraps
// ErrStillFailing. The bus must be running, so that what the handler writes
// to its outbox is relayed.
func (b *Bus) RetryDeadLetter(ctx context.Context, consumer, id string) (DeadLetter, error) {
	dl, err := b.deadLettersOfConsumer(consumer)
	if err != nil {
		return DeadLetter{}, err
	}
	b.mu.Lock()
	running := b.started && !b.closed
	b.mu.Unlock()
	if !running {
		return DeadLetter{}, fmt.Errorf("retry %s dead letter %s: %w", consumer, id, ErrNotRunning)
	}
	letter, err := dl.get(ctx, id)
	if err != nil {
		return DeadLetter{}, err
	}
	if b.gate(consumer).isShut() {
		return letter, fmt.Errorf("retry %s dead letter %s: %w: resume it first", consumer, id, ErrPaused)
	}
	c := b.consumerOf(letter.Topic, consumer)
	if c == nil {
		return letter, fmt.Errorf("retry %s dead letter %s: %s no longer reads %s", consumer, id, consumer, letter.Topic)
	}
	_, err = c.deliver(ctx, letter.Envelope)
	if err == nil {
		return letter, nil
	}
	if ctx.Err() != nil { // the caller gave up: not the handler's failure
		return letter, fmt.Errorf("retry %s dead letter %s: %w", consumer, id, err)
	}
	letter.Attempts++
	letter.Error, letter.LastSeen = handlerReason(err), b.cfg.Now()
	if ferr := dl.failedAgain(ctx, id, letter.Error, letter.LastSeen); ferr != nil {
		return letter, errors.Join(fmt.Errorf("retry %s dead letter %s: %w: %s", consumer, id, ErrStillFailing, letter.Error), ferr)
	}
	return letter, fmt.Errorf("retry %s dead letter %s: %w: %s", consumer, id, ErrStillFailing, letter.Error)
}

// DropDeadLetter deletes consumer's dead letter of message id and returns
// it: the consumer never handles that message.
func (b *Bus) DropDeadLetter(ctx context.Context, consumer, id string) (DeadLetter, error) {
	dl, err := b.deadLettersOfConsumer(consumer)
	if err != nil {
		return DeadLetter{}, err
	}
	return dl.drop(ctx, id)
}

// DeadLetterConsumers names the consumers that park dead letters, sorted.
func (b *Bus) DeadLetterConsumers() []string {
	var out []string
	for _, dl := range b.deadLetterList() {
		out = append(out, dl.consumer)
	}
	return out
}

func (b *Bus) deadLettersOfConsumer(consumer string) (*deadLetters, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	dl := b.deadLetters[consumer]
	if dl == nil {
		return nil, fmt.Errorf("no consumer %q: %w", consumer, ErrNoDeadLetter)
	}
	return dl, nil
}

// deadLetterList returns the consumers' dead-letter tables by consumer name.
func (b *Bus) deadLetterList() []*deadLetters {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]*deadLetters, 0, len(b.deadLetters))
	for _, dl := range b.deadLetters {
		out = append(out, dl)
	}
	slices.SortFunc(out, func(x, y *deadLetters) int { return strings.Compare(x.consumer, y.consumer) })
	return out
}

// consumerOf returns the consumer named consumer if it reads topic, or nil.
func (b *Bus) consumerOf(topic, consumer string) *Consumer {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.topicConsumers[topic] {
		if c.name == consumer {
			return c
		}
	}
	return nil
}
