//go:build !unix

package cmd

import (
	"context"
	"os"
)

// readKey reads one byte from the terminal tty. Without poll(2) it cannot
// stop waiting when ctx ends; it checks ctx before and after.
func readKey(ctx context.Context, tty *os.File) (byte, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var b [1]byte
	if _, err := tty.Read(b[:]); err != nil {
		return 0, err
	}
	return b[0], ctx.Err()
}
