package saga

import (
	"sync"

	"sagalab/storage"
)

// maxCached bounds the running instances an engine keeps in memory.
const maxCached = 16384

// cache keeps each running saga instance as its last handling wrote it, so
// that the reply to its command needs neither a query nor decoding its
// data again. A handling takes the instance out and, after flush, puts it
// back (or leaves it out, once the saga has finished).
//
// It holds only while the file's rollback count (storage.Tx.Rollbacks) is
// the one it was filled under: writes on the file run one at a time and a
// rollback, which may have undone any of it, is counted before the next
// write starts, so a different count empties it. Only the engine writes
// saga instances.
type cache struct {
	mu        sync.Mutex
	rollbacks uint64
	byID      map[string]*instance
}

// take removes and returns the instance with id, if kept and waiting for
// the reply to command.
func (c *cache) take(tx *storage.Tx, id, command string) (*instance, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.check(tx)
	in, ok := c.byID[id]
	if !ok || in.Awaiting != command {
		return nil, false
	}
	delete(c.byID, id)
	return in, true
}

// put keeps in, just flushed by tx, if it is still running; a finished
// saga waits for no reply.
func (c *cache) put(tx *storage.Tx, in *instance) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.check(tx)
	if in.State != Running || in.Awaiting == "" {
		delete(c.byID, in.ID)
		return
	}
	if len(c.byID) >= maxCached {
		clear(c.byID) // sagas that never got their reply: their deadlines load them
	}
	c.byID[in.ID] = in
}

// check empties the cache if the file saw a rollback since it was filled;
// c.mu is held.
func (c *cache) check(tx *storage.Tx) {
	if r := tx.Rollbacks(); r != c.rollbacks || c.byID == nil {
		c.rollbacks, c.byID = r, map[string]*instance{}
	}
}
