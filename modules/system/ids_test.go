package system

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
)

// fixedIDs hands out the given ids of each kind in turn, and random ones
// for everything else. Modules make ids concurrently.
func fixedIDs(ids map[string][]string) func(string) string {
	var mu sync.Mutex
	return func(kind string) string {
		mu.Lock()
		defer mu.Unlock()
		if len(ids[kind]) == 0 {
			return uuid.NewString()
		}
		id := ids[kind][0]
		ids[kind] = ids[kind][1:]
		return id
	}
}

func TestResolve(t *testing.T) {
	ctx := context.Background()
	s := start(t, Config{IDs: fixedIDs(map[string][]string{
		"customer": {"c1", "c2"},
		"order":    {"06bc8db9-1111", "06bc8db9-2222", "06bd0000-3333", "o1", "o10"},
	})})
	c1 := mustCustomer(t, s, "John", "100.00")
	mustCustomer(t, s, "Mary", "100.00")
	for range 5 {
		mustOrder(t, s, c1, "1.00", ordercontract.Choreography)
	}
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	err := RecordNames(s.DataDir(), []Name{
		{Name: "first", Kind: OrderKind, ID: "06bc8db9-2222", Scenario: "happy-path", At: at},
		{Name: "john", Kind: CustomerKind, ID: "c1", Scenario: "happy-path", At: at},
		{Name: "twice", Kind: OrderKind, ID: "06bc8db9-1111", Scenario: "classroom", At: at},
		{Name: "gone", Kind: OrderKind, ID: "no-such-order", Scenario: "classroom", At: at},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second run on the same directory names another order "twice".
	if err := RecordNames(s.DataDir(), []Name{{Name: "twice", Kind: OrderKind, ID: "o10", Scenario: "classroom",
		At: at.Add(time.Minute)}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind       Kind
		given      string
		want       string
		ambiguous  []string // candidates, when ambiguous
		notFound   error
		noteInText string
	}{
		{kind: OrderKind, given: "o1", want: "o1"}, // exact, though o10 starts with it too
		{kind: OrderKind, given: "o10", want: "o10"},
		{kind: OrderKind, given: "06bd", want: "06bd0000-3333"},
		{kind: OrderKind, given: "06bc8db9-2", want: "06bc8db9-2222"},
		{kind: OrderKind, given: "06bc8db9", ambiguous: []string{"06bc8db9-1111", "06bc8db9-2222"}},
		{kind: OrderKind, given: "first", want: "06bc8db9-2222"},
		{kind: OrderKind, given: "twice", ambiguous: []string{"o10", "06bc8db9-1111"}, noteInText: "twice of classroom"},
		{kind: OrderKind, given: "gone", notFound: ordercontract.ErrNotFound},
		{kind: OrderKind, given: "zz", notFound: ordercontract.ErrNotFound},
		{kind: OrderKind, given: "john", notFound: ordercontract.ErrNotFound}, // a customer's name
		{kind: OrderKind, given: "", notFound: ordercontract.ErrNotFound},
		{kind: CustomerKind, given: "john", want: "c1"},
		{kind: CustomerKind, given: "c2", want: "c2"},
		{kind: CustomerKind, given: "c", ambiguous: []string{"c1", "c2"}},
		{kind: CustomerKind, given: "o1", notFound: customercontract.ErrNotFound},
	} {
		got, err := s.Resolve(ctx, tc.kind, tc.given)
		var amb *AmbiguousError
		switch {
		case tc.ambiguous != nil:
			if !errors.As(err, &amb) {
				t.Errorf("Resolve(%s, %q) = %q, %v; want ambiguous", tc.kind, tc.given, got, err)
				continue
			}
			var ids []string
			for _, c := range amb.Candidates {
				ids = append(ids, c.ID)
			}
			if strings.Join(ids, " ") != strings.Join(tc.ambiguous, " ") {
				t.Errorf("Resolve(%s, %q): candidates %q, want %q", tc.kind, tc.given, ids, tc.ambiguous)
			}
			for _, id := range tc.ambiguous {
				if !strings.Contains(err.Error(), "\n  "+id) {
					t.Errorf("Resolve(%s, %q): error %q does not list %s", tc.kind, tc.given, err, id)
				}
			}
			if !strings.Contains(err.Error(), tc.noteInText) {
				t.Errorf("Resolve(%s, %q): error %q does not say %q", tc.kind, tc.given, err, tc.noteInText)
			}
		case tc.notFound != nil:
			if !errors.Is(err, tc.notFound) {
				t.Errorf("Resolve(%s, %q) = %q, %v; want %v", tc.kind, tc.given, got, err, tc.notFound)
			}
		case err != nil || got != tc.want:
			t.Errorf("Resolve(%s, %q) = %q, %v; want %q", tc.kind, tc.given, got, err, tc.want)
		}
	}
}
