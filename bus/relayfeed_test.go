package bus

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

// The rows a transaction feeds the relay are the rows it committed, field
// for field as the relay would read them back; a transaction that rolled
// back feeds nothing.
func TestFedRowsAreTheCommittedRows(t *testing.T) {
	_, out := openOutbox(t)
	ctx := context.Background()
	emit := func(fail bool, msgs ...Message) {
		t.Helper()
		err := out.Write(ctx, func(tx *Tx) error {
			if err := tx.Emit(ctx, msgs...); err != nil {
				return err
			}
			if fail {
				return errors.New("changed its mind")
			}
			return nil
		})
		if (err != nil) != fail {
			t.Fatalf("write: %v", err)
		}
	}
	emit(false, Message{Topic: "things", Type: "Thing", CorrelationID: "a", Payload: map[string]int{"n": 1}},
		Message{Topic: "other", Type: "Other", CorrelationID: "a", ReplyTo: "replies", Payload: "x"})
	emit(true, Message{Topic: "things", Type: "Thing", CorrelationID: "b", Payload: 2})
	emit(false, Message{Topic: "things", Type: "Thing", CorrelationID: "c", CausationID: "m0", Payload: 3})

	stored, err := out.relay.readRows(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 3 {
		t.Fatalf("%d rows stored, want 3", len(stored))
	}
	if fed := out.relay.feed.rows; !reflect.DeepEqual(fed, stored) {
		t.Fatalf("fed rows\n%+v\nwant the stored rows\n%+v", fed, stored)
	}
}

// The relay takes from the feed only rows that follow its last one without
// a gap, and says when the outbox may hold rows the feed lacks: before its
// first read to the end, at a gap, and after the feed dropped rows.
func TestTakeFedOnlyWithoutGaps(t *testing.T) {
	r := &relay{wakeCh: make(chan struct{}, 1)}
	rows := func(seqs ...int64) []Envelope {
		out := make([]Envelope, len(seqs))
		for i, s := range seqs {
			out[i] = Envelope{Seq: s}
		}
		return out
	}
	seqs := func(es []Envelope) []int64 {
		out := []int64{}
		for _, e := range es {
			out = append(out, e.Seq)
		}
		return out
	}
	check := func(after int64, limit int, want []int64, wantPartial bool) {
		t.Helper()
		got, partial := r.takeFed(after, limit)
		if !reflect.DeepEqual(seqs(got), want) || partial != wantPartial {
			t.Fatalf("takeFed(%d, %d) = %v, %v; want %v, %v", after, limit, seqs(got), partial, want, wantPartial)
		}
	}
	r.fed(rows(2, 3, 4, 5))
	r.fed(rows(7))
	check(2, 10, []int64{3, 4, 5}, true) // never read to the end: the outbox may hold more
	r.readAll(r.drops())
	check(5, 10, []int64{}, true) // 6 is missing
	r.fed(rows(8, 9, 10))
	check(7, 2, []int64{8, 9}, false)
	check(9, 10, []int64{10}, false)
	check(10, 10, []int64{}, false)

	r.fed(make([]Envelope, maxFed+1)) // too many: dropped
	if len(r.feed.rows) != 0 {
		t.Fatalf("the feed kept %d rows past its bound", len(r.feed.rows))
	}
	r.fed(rows(11))
	check(10, 10, []int64{11}, true)
	drops := r.drops()
	r.readAll(drops)
	check(11, 10, []int64{}, false)
}
