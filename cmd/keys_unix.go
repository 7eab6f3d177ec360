//go:build unix

package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// keyPoll is how long readKey waits for a key before it looks at its
// context again.
const keyPoll = 50 // milliseconds

// readKey reads one byte from the terminal tty once one is typed, or
// returns ctx's error when ctx ends first, or io.EOF when the terminal hung
// up. It leaves no read behind: nothing takes a key meant for a later
// prompt or for the shell.
func readKey(ctx context.Context, tty *os.File) (byte, error) {
	fd := int(tty.Fd())
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n, err := unix.Poll(fds, keyPoll)
		if errors.Is(err, unix.EINTR) || (err == nil && n == 0) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("wait for a key: %w", err)
		}
		var b [1]byte
		n, err = unix.Read(fd, b[:])
		switch {
		case errors.Is(err, unix.EINTR), errors.Is(err, unix.EAGAIN):
			continue
		case err != nil:
			return 0, fmt.Errorf("read a key: %w", err)
		case n == 0:
			return 0, io.EOF
		}
		return b[0], nil
	}
}
