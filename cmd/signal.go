package cmd

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// signalled is why a command stopped: a signal, or Ctrl-C read as a key. The
// program exits with 128 plus the signal's number, as a shell reports it.
type signalled struct{ sig syscall.Signal }

func (e *signalled) Error() string {
	if e.sig == syscall.SIGINT {
		return "interrupted"
	}
	return e.sig.String() // "terminated"
}

// onSignal cancels with a *signalled cause when one of sigs arrives; stop
// ends the watch.
func onSignal(cancel context.CancelCauseFunc, sigs ...os.Signal) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-ch:
			sig, _ := s.(syscall.Signal)
			cancel(&signalled{sig: sig})
			signal.Stop(ch) // a second one stops a stuck shutdown the usual way
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
