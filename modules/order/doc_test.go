package order

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The choreography map in doc.go names files and functions that exist: a
// function renamed or moved fails here until the map follows it.
func TestChoreographyMap(t *testing.T) {
	src, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	fileRE := regexp.MustCompile(`[a-z]+/[a-z_]+\.go`)
	funcRE := regexp.MustCompile(`^(Module\.)?[a-z][A-Za-z]+$|^Module\.[A-Z][A-Za-z]+$`)
	var file string
	checked := 0
	for _, line := range strings.Split(string(src), "\n") {
		row, ok := strings.CutPrefix(line, "//\t")
		if !ok {
			continue
		}
		if f := fileRE.FindString(row); f != "" {
			file = f
		}
		const funcColumn = 29
		if len(row) <= funcColumn || file == "" || row[funcColumn] == ' ' || row[funcColumn-1] != ' ' {
			continue
		}
		fields := strings.Fields(row[funcColumn:])
		if len(fields) == 0 {
			continue
		}
		name := strings.TrimSuffix(fields[0], ":")
		if !funcRE.MatchString(name) {
			continue
		}
		if !declares(t, filepath.Join("..", file), name) {
			t.Errorf("doc.go: %s does not declare %s", file, name)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("checked only %d functions of the map", checked)
	}
}

// declares reports whether the Go file at path declares fn: "name", or
// "Module.name" for a method of Module.
func declares(t *testing.T, path, fn string) bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	recv, name, method := strings.Cut(fn, ".")
	if !method {
		name, recv = recv, ""
	}
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok || fd.Name.Name != name {
			continue
		}
		if recv == "" && fd.Recv == nil {
			return true
		}
		if recv != "" && fd.Recv != nil {
			typ := fd.Recv.List[0].Type
			if star, ok := typ.(*ast.StarExpr); ok {
				typ = star.X
			}
			if id, ok := typ.(*ast.Ident); ok && id.Name == recv {
				return true
			}
		}
	}
	return false
}
