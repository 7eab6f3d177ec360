package storage

import (
	"fmt"
	"regexp"
	"testing"
	"time"
)

// Ids are UUID-shaped (version 8), unique, and sort in the order they were
// made, their first eight characters differing from one to the next, also
// when the clock stands still or steps back.
func TestIDs(t *testing.T) {
	clock := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	wantFirst := fmt.Sprintf("%08x", uint32(clock.UnixNano()/int64(idTick)))
	g := NewIDs(func() time.Time { return clock })
	shape := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	prev := ""
	for i := range 10_000 {
		switch i {
		case 5_000:
			clock = clock.Add(time.Second) // the clock runs ahead of the ids
		case 7_000:
			clock = clock.Add(-time.Hour) // and steps back
		}
		id := g.New()
		if i == 0 && id[:8] != wantFirst {
			t.Fatalf("the first id is %s, want it to start with the clock's tick, %s", id, wantFirst)
		}
		if !shape.MatchString(id) {
			t.Fatalf("id %q is not a version 8 UUID", id)
		}
		if seen[id] || seen[id[:8]] {
			t.Fatalf("id %d, %s, repeats an id or its first 8 characters", i, id)
		}
		seen[id], seen[id[:8]] = true, true
		if id <= prev {
			t.Fatalf("id %d, %s, sorts before the id made before it, %s", i, id, prev)
		}
		prev = id
	}
}

// Two generators (two processes) started at the same moment make different
// ids.
func TestIDsOfTwoGenerators(t *testing.T) {
	now := func() time.Time { return time.Unix(0, 0) }
	a, b := NewIDs(now), NewIDs(now)
	for range 1000 {
		if x, y := a.New(), b.New(); x == y {
			t.Fatalf("two generators both made %s", x)
		}
	}
}
