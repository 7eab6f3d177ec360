package system

import (
	"context"
	"fmt"
	"strings"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
)

// Kind is a kind of thing an id names.
type Kind string

// The kinds of things the command line names by id.
const (
	OrderKind    Kind = "order"
	CustomerKind Kind = "customer"
)

// maxCandidates is how many candidates an AmbiguousError lists.
const maxCandidates = 8

// AmbiguousError is returned by Resolve when what it was given names more
// than one thing.
type AmbiguousError struct {
	Kind  Kind
	Given string
	// Candidates are the things it may name, at most maxCandidates.
	Candidates []Candidate
	// More is true when there are more candidates than listed.
	More bool
}

// Candidate is one thing an ambiguous id may name.
type Candidate struct {
	ID string
	// Note says which run gave the name, for a recorded name.
	Note string
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%q names more than one %s:", e.Given, e.Kind)
	for _, c := range e.Candidates {
		b.WriteString("\n  " + c.ID)
		if c.Note != "" {
			b.WriteString("  " + c.Note)
		}
	}
	if e.More {
		b.WriteString("\n  …")
	}
	b.WriteString("\ngive more of the id")
	return b.String()
}

// Resolve returns the id of the order or customer that given names: its
// id, a unique prefix of it (such as the 8 characters the demo prints), or
// a name a scenario run recorded in the data directory (o1, john). An
// exact id wins over a name, and a name over a prefix. It returns an
// *AmbiguousError when given names more than one, and the kind's
// contract ErrNotFound when it names none.
func (s *System) Resolve(ctx context.Context, kind Kind, given string) (string, error) {
	var withPrefix func(context.Context, string, int) ([]string, error)
	var notFound error
	switch kind {
	case OrderKind:
		withPrefix, notFound = s.Orders.IDsWithPrefix, ordercontract.ErrNotFound
	case CustomerKind:
		withPrefix, notFound = s.Customers.IDsWithPrefix, customercontract.ErrNotFound
	default:
		return "", fmt.Errorf("resolve %q: unknown kind %q", given, kind)
	}
	if given == "" {
		return "", fmt.Errorf("an empty %s id: %w", kind, notFound)
	}
	ids, err := withPrefix(ctx, given, maxCandidates+1)
	if err != nil {
		return "", fmt.Errorf("resolve %s %q: %w", kind, given, err)
	}
	if len(ids) > 0 && ids[0] == given {
		return given, nil // ids are in order: an exact match comes first
	}
	named, err := s.named(ctx, kind, given, withPrefix)
	if err != nil {
		return "", err
	}
	switch {
	case len(named) == 1:
		return named[0].ID, nil
	case len(named) > 1:
		return "", &AmbiguousError{Kind: kind, Given: given, Candidates: named[:min(len(named), maxCandidates)],
			More: len(named) > maxCandidates}
	case len(ids) == 1:
		return ids[0], nil
	case len(ids) == 0:
		return "", fmt.Errorf("no %s id starts with %q: %w", kind, given, notFound)
	}
	amb := &AmbiguousError{Kind: kind, Given: given, More: len(ids) > maxCandidates}
	for _, id := range ids[:min(len(ids), maxCandidates)] {
		amb.Candidates = append(amb.Candidates, Candidate{ID: id})
	}
	return "", amb
}

// named returns the things of kind that scenario runs recorded under name
// and that still exist, newest first.
func (s *System) named(ctx context.Context, kind Kind, name string,
	withPrefix func(context.Context, string, int) ([]string, error)) ([]Candidate, error) {
	names, err := readNames(s.cfg.DataDir)
	if err != nil {
		return nil, err
	}
	var out []Candidate
	for i := len(names) - 1; i >= 0; i-- {
		n := names[i]
		if n.Kind != kind || n.Name != name {
			continue
		}
		ids, err := withPrefix(ctx, n.ID, 1)
		if err != nil {
			return nil, fmt.Errorf("resolve %s %q: %w", kind, name, err)
		}
		if len(ids) == 1 && ids[0] == n.ID {
			out = append(out, Candidate{ID: n.ID,
				Note: fmt.Sprintf("%s of %s, %s", n.Name, n.Scenario, n.At.Local().Format("2006-01-02 15:04:05"))})
		}
	}
	return out, nil
}
