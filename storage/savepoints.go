package storage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// Savepoint statements (SAVEPOINT, RELEASE, ROLLBACK TO) take no
// arguments, and the driver runs a statement without arguments by parsing
// it anew on every call. Group commit and batched consumption run two of
// them per member and per message, so the writer keeps them prepared:
// marks holds them prepared on the writer handle when it opens (the
// handle's one connection is then free; during a transaction it is not),
// and each transaction binds the ones it uses once (txMarks).

// preparedDepth is how deep Tx.Savepoint nesting uses prepared
// statements; deeper savepoints are parsed on each use.
const preparedDepth = 4

// marks is the writer handle's prepared savepoint statements, by text.
type marks map[string]*sql.Stmt

// prepareMarks prepares the savepoint statements on write.
func prepareMarks(ctx context.Context, write *sql.DB) (marks, error) {
	names := []string{savepoint}
	for d := 1; d <= preparedDepth; d++ {
		names = append(names, nestedName(d))
	}
	m := marks{}
	for _, name := range names {
		for _, q := range []string{"SAVEPOINT ", "RELEASE ", "ROLLBACK TO "} {
			s, err := write.PrepareContext(ctx, q+name)
			if err != nil {
				return nil, errors.Join(fmt.Errorf("prepare %s%s: %w", q, name, err), m.close())
			}
			m[q+name] = s
		}
	}
	return m, nil
}

func (m marks) close() error {
	var errs []error
	for _, s := range m {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// nestedName names the savepoint Tx.Savepoint opens at depth d.
func nestedName(d int) string { return "nested" + strconv.Itoa(d) }

// txMarks is one transaction's savepoint statements: those of marks bound
// to the transaction, each bound once. The members of a batch share it;
// they run one at a time.
type txMarks struct {
	tx    *sql.Tx
	marks marks
	bound map[string]*sql.Stmt
}

func newTxMarks(tx *sql.Tx, m marks) *txMarks {
	return &txMarks{tx: tx, marks: m}
}

// exec runs query, a savepoint statement, in the transaction.
func (t *txMarks) exec(query string) error {
	s, ok := t.bound[query]
	if !ok {
		parent, ok := t.marks[query]
		if !ok {
			_, err := t.tx.Exec(query)
			return err
		}
		s = t.tx.Stmt(parent)
		if t.bound == nil {
			t.bound = map[string]*sql.Stmt{}
		}
		t.bound[query] = s
	}
	_, err := s.Exec()
	return err
}
