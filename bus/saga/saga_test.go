package saga

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"sagalab/bus"
)

// oneWay encodes to JSON it cannot decode.
type oneWay struct{}

func (oneWay) MarshalJSON() ([]byte, error) { return []byte(`"x"`), nil }

func (*oneWay) UnmarshalJSON([]byte) error { return errors.New("cannot read back") }

// TestStartRefusesDataThatDoesNotReadBack: data that does not survive its
// own JSON fails the start, before anything is written, instead of every
// later handling of the saga.
func TestStartRefusesDataThatDoesNotReadBack(t *testing.T) {
	e := NewEngine(Config{Timeout: time.Minute, Now: time.Now, NewID: func() string { return "m1" }})
	ran := false
	s := Register(e, Definition[oneWay]{Type: "OneWay", Steps: []Step[oneWay]{
		Local("first", func(context.Context, *bus.Tx, *oneWay) error { ran = true; return nil }),
	}})
	_, err := s.Start(context.Background(), &bus.Tx{}, "c1", oneWay{})
	if err == nil || !strings.Contains(err.Error(), "decode data") {
		t.Fatalf("start: %v, want a decode error", err)
	}
	if ran {
		t.Fatal("a step ran on data that does not read back")
	}
}
