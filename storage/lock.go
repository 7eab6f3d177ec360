package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// LockFileName is the lock file a writer holds in a data directory.
const LockFileName = "sagalab.lock"

// Holder is the process that holds a data directory's lock, as it wrote
// itself into the lock file.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// String describes the holder for a person.
func (h Holder) String() string {
	if h.PID == 0 {
		return "another process (it has not said which yet)"
	}
	return fmt.Sprintf("pid %d (%s) since %s", h.PID, h.Command, h.Since.Format(time.DateTime))
}

// LockedError is returned by LockDir when another process holds the
// directory's lock.
type LockedError struct {
	Dir    string
	Holder Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("data directory %s is in use by %s", e.Dir, e.Holder)
}

// DirLock is an exclusive lock on a data directory: one process at a time
// may write its databases. The operating system releases it when the
// process ends, however it ends, so a lock file left behind by a killed
// process does not block the next one.
type DirLock struct {
	f *os.File
}

// LockDir takes the exclusive lock on dir (creating dir if needed) without
// waiting, and records the calling process in the lock file. If another
// process holds it, the error is a *LockedError naming that process.
func LockDir(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open the lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, &LockedError{Dir: dir, Holder: readHolder(path)}
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	me := Holder{PID: os.Getpid(), Command: strings.Join(os.Args, " "), Since: time.Now().Round(time.Second)}
	if err := writeHolder(f, me); err != nil {
		f.Close() // closing releases the lock
		return nil, fmt.Errorf("write the lock file: %w", err)
	}
	return &DirLock{f: f}, nil
}

func writeHolder(f *os.File, h Holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	_, err = f.WriteAt(append(data, '\n'), 0)
	return err
}

// readHolder reads who holds the lock; a holder that has not written
// itself in yet reads as the zero Holder.
func readHolder(path string) Holder {
	var h Holder
	data, err := os.ReadFile(path)
	if err != nil {
		return Holder{}
	}
	if json.Unmarshal(data, &h) != nil {
		return Holder{}
	}
	return h
}

// Unlock releases the lock. The lock file stays: it only matters while
// someone holds it.
func (l *DirLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	if err != nil {
		return fmt.Errorf("release the data directory lock: %w", err)
	}
	return nil
}
