package storage

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A second writer is refused at once, told who holds the directory.
func TestLockRefusesSecondWriter(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	lock, err := LockDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockDir(dir)
	var locked *LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second LockDir = %v, want a *LockedError", err)
	}
	h := locked.Holder
	if h.PID != os.Getpid() || !strings.Contains(h.Command, os.Args[0]) || time.Since(h.Since) > time.Minute {
		t.Fatalf("holder = %+v, want this process (pid %d, %s) since just now", h, os.Getpid(), os.Args[0])
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("pid %d", os.Getpid())) || !strings.Contains(msg, dir) {
		t.Fatalf("message %q does not name the directory and the holder", msg)
	}
	if err := lock.Unlock(); err != nil {
		t.Fatal(err)
	}
	again, err := LockDir(dir)
	if err != nil {
		t.Fatalf("LockDir after Unlock: %v", err)
	}
	again.Unlock()
}

// A lock file left behind, whatever it holds, does not block: only a
// living holder does.
func TestStaleLockFileDoesNotBlock(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, LockFileName), []byte(`{"pid":1,"command":"gone"}`+"\nrubbish"), 0o644); err != nil {
		t.Fatal(err)
	}
	lock, err := LockDir(dir)
	if err != nil {
		t.Fatalf("LockDir over a stale lock file: %v", err)
	}
	defer lock.Unlock()
	if h := readHolder(filepath.Join(dir, LockFileName)); h.PID != os.Getpid() {
		t.Fatalf("lock file names %+v, want this process", h)
	}
}

// helperDirEnv makes the test binary a lock holder: see
// TestLockHolderProcess.
const helperDirEnv = "SAGALAB_TEST_LOCK_HOLDER_DIR"

// TestLockHolderProcess is not a test: run by TestLockReleasedWhenHolderDies
// in a child process, it takes the lock, says so and waits to be killed.
func TestLockHolderProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("a helper process for TestLockReleasedWhenHolderDies")
	}
	if _, err := LockDir(dir); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	select {}
}

// kill -9 of the holder releases the lock; the file it leaves behind
// names a dead process and blocks nobody.
func TestLockReleasedWhenHolderDies(t *testing.T) {
	dir := t.TempDir()
	child := exec.Command(os.Args[0], "-test.run=^TestLockHolderProcess$")
	child.Env = append(os.Environ(), helperDirEnv+"="+dir)
	out, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill() //nolint:errcheck // killed below unless the test failed first
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("holder process said %q, %v", line, err)
	}

	_, err = LockDir(dir)
	var locked *LockedError
	if !errors.As(err, &locked) || locked.Holder.PID != child.Process.Pid {
		t.Fatalf("LockDir beside a living holder = %v, want refused naming pid %d", err, child.Process.Pid)
	}

	if err := child.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	child.Wait() //nolint:errcheck // it was killed
	if h := readHolder(filepath.Join(dir, LockFileName)); h.PID != child.Process.Pid {
		t.Fatalf("lock file names %+v, want the dead holder (the file stays behind)", h)
	}
	lock, err := LockDir(dir)
	if err != nil {
		t.Fatalf("LockDir after the holder was killed: %v", err)
	}
	lock.Unlock()
}
