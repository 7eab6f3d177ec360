package trace

import (
	"slices"
	"strings"

	"sagalab/bus"
)

// Initiating returns the boxes of the initiating local transactions (a
// request, a timeout) that wrote sent, one per transaction: the messages a
// module wrote together, not caused by a message it handled. sent is in the
// order written; a transaction that changed nothing it noted has no box.
func Initiating(sent []bus.Traffic) []Step {
	var steps []Step
	for _, tx := range together(sent) {
		if st, ok := initiatingStep(tx); ok {
			steps = append(steps, st)
		}
	}
	return steps
}

// together groups sent, in the order written, into the transactions that
// wrote them.
func together(sent []bus.Traffic) [][]bus.Traffic {
	var txs [][]bus.Traffic
	for i, m := range sent {
		if i > 0 && sameTransaction(sent[i-1], m) {
			txs[len(txs)-1] = append(txs[len(txs)-1], m)
			continue
		}
		txs = append(txs, []bus.Traffic{m})
	}
	return txs
}

// sameTransaction reports whether a and b, written one after the other,
// were written by one initiating transaction: a bus.Tx gives every message
// it writes the same creation time.
func sameTransaction(a, b bus.Traffic) bool {
	return a.Module == b.Module && a.CausationID == "" && b.CausationID == "" && a.At.Equal(b.At)
}

// initiatingStep is the box of the initiating transaction that wrote tx:
// what it changed, each thing said once, and, when it wrote several
// messages, which. It reports false for a transaction that noted nothing.
func initiatingStep(tx []bus.Traffic) (Step, bool) {
	st := Step{Kind: Transaction, At: tx[0].At, From: tx[0].Module}
	var said []string
	for _, m := range tx {
		for _, c := range strings.Split(m.Effect, "; ") {
			if c != "" && !slices.ContainsFunc(said, func(s string) bool { return repeats(s, c) }) {
				said = append(said, c)
			}
		}
		st.Compensation = st.Compensation || IsCompensation(m.Type)
		if len(tx) > 1 {
			st.Emits = append(st.Emits, m.Type)
		}
	}
	st.Effect = strings.Join(said, "; ")
	return st, st.Effect != ""
}

// repeats reports whether clause c says nothing that clause s did not:
// it is s, or s begins with it ("order o1 stored PENDING" after "order o1
// stored PENDING, 12.34, for customer c1").
func repeats(s, c string) bool {
	if !strings.HasPrefix(s, c) {
		return false
	}
	rest := s[len(c):]
	return rest == "" || strings.ContainsAny(rest[:1], ",;:( ")
}
