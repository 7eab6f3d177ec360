package system

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// services are the modules that stand for separate services.
var services = []string{"order", "customer", "history"}

// checked are the packages held to the rule: the services and the API
// composer. Only the composition root (system) and the scenario runner see
// more.
var checked = append([]string{"gateway"}, services...)

// A service, or the composer, may import another service's contract package
// and nothing else of it, and a contract imports no service internals.
func TestModuleIsolation(t *testing.T) {
	imports := map[string][]string{} // "order/..." file -> imports
	for _, svc := range checked {
		root := filepath.Join("..", svc)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel("..", path)
			for _, imp := range f.Imports {
				p, _ := strconv.Unquote(imp.Path.Value)
				imports[filepath.ToSlash(rel)] = append(imports[filepath.ToSlash(rel)], p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(imports) == 0 {
		t.Fatal("found no module source files")
	}
	for file, imps := range imports {
		owner := strings.SplitN(file, "/", 2)[0]
		isContract := strings.HasPrefix(file, owner+"/contract/")
		for _, p := range imps {
			for _, other := range services {
				prefix := "sagalab/modules/" + other
				if p != prefix && !strings.HasPrefix(p, prefix+"/") {
					continue
				}
				switch {
				case other == owner && isContract && p != prefix+"/contract":
					t.Errorf("%s: a contract imports its module's internals (%s)", file, p)
				case other != owner && p != prefix+"/contract":
					t.Errorf("%s imports %s: only %s/contract may be imported from another module", file, p, prefix)
				case other != owner && isContract:
					t.Errorf("%s: a contract imports another module (%s)", file, p)
				}
			}
		}
	}
}

// Database per service: each module's file holds its own tables only.
func TestDatabasePerService(t *testing.T) {
	s := start(t, Config{})
	own := map[string][]string{"order.db": {"orders", "saga_instances"}, "customer.db": {"customer_view", "reservation_view", "snapshots"},
		"history.db": {"view_customers", "view_orders"}}
	for file := range own {
		for otherFile, otherTables := range own {
			for _, table := range otherTables {
				n := count(t, s.DataDir()+"/"+file, `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '`+table+`'`)
				if want := map[bool]int{true: 1, false: 0}[file == otherFile]; n != want {
					t.Errorf("%s has %d tables named %s, want %d", file, n, table, want)
				}
			}
		}
	}
}
