package storage

import (
	"crypto/rand"
	"sync"
	"time"

	"github.com/google/uuid"
)

// IDs makes unique ids, in the text form of a UUID, that sort roughly in
// the order they were made, so that rows keyed by them are inserted next
// to each other in a B-tree index. Random (version 4) UUIDs scatter the
// inserts: each one dirties a page of its own, which COMMIT writes to the
// log and a checkpoint writes again; ordered ones share a few pages.
//
// The first 32 bits are a tick that starts from the clock (in units of
// 100 µs, wrapping every five days) and goes up by at least one per id, so
// the first eight characters, which the CLI and traces show, differ from
// one id to the next. The rest is random, so ids made by different
// processes, or after the tick wrapped, do not collide. The layout is a
// version 8 (custom) UUID.
type IDs struct {
	now  func() time.Time
	mu   sync.Mutex
	tick uint32
}

// NewIDs returns a generator whose ticks start from now (time.Now if nil).
func NewIDs(now func() time.Time) *IDs {
	if now == nil {
		now = time.Now
	}
	// The first id takes the clock's tick.
	return &IDs{now: now, tick: uint32(now().UnixNano()/int64(idTick)) - 1}
}

// idTick is the clock unit of an id's first 32 bits.
const idTick = 100 * time.Microsecond

// New returns a new id.
func (g *IDs) New() string {
	var b [16]byte
	_, _ = rand.Read(b[4:]) // never fails (crypto/rand)
	clock := uint32(g.now().UnixNano() / int64(idTick))
	g.mu.Lock()
	// Ahead of the clock only while ids come faster than one per tick;
	// behind it (after a pause, or a wrap) catch up.
	if int32(clock-g.tick) > 0 {
		g.tick = clock
	} else {
		g.tick++
	}
	t := g.tick
	g.mu.Unlock()
	b[0], b[1], b[2], b[3] = byte(t>>24), byte(t>>16), byte(t>>8), byte(t)
	b[6] = b[6]&0x0f | 0x80 // version 8
	b[8] = b[8]&0x3f | 0x80 // RFC 9562 variant
	return uuid.UUID(b).String()
}
