package classroom

import (
	"fmt"
	"sync"
	"time"
)

// Clock is a clock that moves only when told: runs that use it, with
// sequential ids, print the same output every time.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a clock that reads start.
func NewClock(start time.Time) *Clock { return &Clock{now: start} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// SequentialIDs returns an id maker for Config.IDs that numbers each kind
// of thing from 1: customers c1, c2…, orders o1…, messages m1….
func SequentialIDs() func(kind string) string {
	var mu sync.Mutex
	next := map[string]int{}
	return func(kind string) string {
		mu.Lock()
		defer mu.Unlock()
		next[kind]++
		prefix := kind[:1]
		return fmt.Sprintf("%s%d", prefix, next[kind])
	}
}
