package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/term"
)

// key is what a key pressed at a prompt means.
type key int

const (
	keyNext      key = iota // Enter or space
	keyQuit                 // q, or the terminal hung up
	keyInterrupt            // Ctrl-C
)

// keyboard reads single keys from a terminal, without waiting for Enter.
type keyboard struct{ tty *os.File }

// newKeyboard returns a keyboard on in, or nil when in is not a terminal.
func newKeyboard(in io.Reader) *keyboard {
	f, ok := in.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	return &keyboard{tty: f}
}

// next waits for a key that means something and ignores the others. The
// terminal is in raw mode only while next waits, and is restored before it
// returns, whatever happens; Ctrl-C, read as a key then, is reported as
// keyInterrupt. It returns ctx's error when ctx ends first.
func (k *keyboard) next(ctx context.Context) (key, error) {
	fd := int(k.tty.Fd())
	saved, err := term.MakeRaw(fd)
	if err != nil {
		return 0, fmt.Errorf("read a key: %w", err)
	}
	defer term.Restore(fd, saved) //nolint:errcheck // nothing better to do if the terminal is gone
	for {
		b, err := readKey(ctx, k.tty)
		switch {
		case errors.Is(err, io.EOF):
			return keyQuit, nil
		case err != nil:
			return 0, err
		}
		switch b {
		case '\r', '\n', ' ':
			return keyNext, nil
		case 'q', 'Q', 0x04: // Ctrl-D
			return keyQuit, nil
		case 0x03: // Ctrl-C: raw mode reads it instead of sending SIGINT
			return keyInterrupt, nil
		}
	}
}
