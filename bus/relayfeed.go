package bus

// The relay's feed: a transaction that wrote to the outbox hands the rows
// it wrote to the relay once it has committed, so that the relay publishes
// them without reading them back. Rows are fed in commit order, which on
// one file is sequence order. The feed is a shortcut, never the record:
// the relay takes from it only rows that follow, without a gap, the last
// one it published, and reads the outbox whenever the feed may miss some
// (at start, after it dropped rows or was held, on every poll).

// maxFed bounds the rows waiting in the feed; past it new rows are
// dropped, and the relay reads them from the outbox.
const maxFed = 4096

// feed holds committed rows waiting to be published.
type feed struct {
	rows []Envelope
	// drops counts the times rows were dropped; readTo is drops+1 as it
	// stood when the relay last read the outbox through to its end (0:
	// not yet). While readTo is not drops+1, the outbox may hold rows the
	// feed lacks.
	drops, readTo int
}

// fed hands the relay rows a transaction wrote, once it has committed, and
// wakes it.
func (r *relay) fed(rows []Envelope) {
	r.mu.Lock()
	if len(r.feed.rows)+len(rows) > maxFed {
		r.feed.drops++
	} else {
		r.feed.rows = append(r.feed.rows, rows...)
	}
	r.mu.Unlock()
	r.wake()
}

// takeFed returns up to limit fed rows that follow seq after without a
// gap, and whether the outbox may hold rows the feed does not (then the
// relay reads the outbox when takeFed returns none). Rows at or before
// after are dropped.
func (r *relay) takeFed(after int64, limit int) (rows []Envelope, partial bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f := &r.feed
	skip := 0
	for skip < len(f.rows) && f.rows[skip].Seq <= after {
		skip++
	}
	n := 0
	for n < limit && skip+n < len(f.rows) && f.rows[skip+n].Seq == after+int64(n)+1 {
		n++
	}
	rows = append([]Envelope(nil), f.rows[skip:skip+n]...)
	f.rows = f.rows[skip+n:]
	if len(f.rows) == 0 {
		f.rows = nil // let the backing array go
	}
	return rows, f.readTo != f.drops+1 || (n == 0 && len(f.rows) > 0)
}

// drops returns the feed's count of drops, to give readAll.
func (r *relay) drops() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.feed.drops
}

// readAll notes that the outbox was read to its end by a read that began
// when the feed's count of drops was drops.
func (r *relay) readAll(drops int) {
	r.mu.Lock()
	r.feed.readTo = drops + 1
	r.mu.Unlock()
}

// forgetFed empties the feed: the relay reads the outbox for what it held.
func (r *relay) forgetFed() {
	r.mu.Lock()
	r.feed.rows = nil
	r.feed.drops++
	r.mu.Unlock()
}
