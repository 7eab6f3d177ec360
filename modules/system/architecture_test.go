package system

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The layers of sagalab, lowest first. Each may import only the layers its
// rule lists (and itself); anything else is an upward or sideways import.
//
//	storage          SQLite files, migrations, transactions
//	bus              outbox, relay, consumers and inbox; imports storage
//	bus extensions   bus/saga, bus/eventstore; import bus and storage
//	broker           bus/jetstream, the NATS JetStream transport; imports bus and
//	                 storage; only the tools and commands choose a broker
//	shared           modules/shared/*: money, HTTP JSON, the REST wire shapes, the query
//	                 contract, display; import contracts, no service
//	contract         modules/<service>/contract: what a service offers others
//	service          modules/<service>/...: its own packages, others' contracts only
//	system           modules/system, the composition root
//	tool             cmd/internal/*: walkthrough, load, scenarios, traces
//	cmd              the commands
//	main             the binary
const (
	layerStorage  = "storage"
	layerBus      = "bus"
	layerBusExt   = "bus extension"
	layerBroker   = "broker"
	layerShared   = "shared"
	layerContract = "contract"
	layerService  = "service"
	layerSystem   = "system"
	layerTool     = "tool"
	layerCmd      = "cmd"
	layerMain     = "main"
)

// mayImport lists, for each layer, the layers it may import.
func mayImport() map[string][]string {
	lower := []string{layerStorage, layerBus, layerBusExt, layerShared, layerContract}
	return map[string][]string{
		layerStorage:  {layerStorage},
		layerBus:      {layerStorage, layerBus},
		layerBusExt:   {layerStorage, layerBus},
		layerShared:   {layerShared, layerContract},
		layerContract: {layerShared},
		layerService:  append(slices.Clone(lower), layerService),
		layerSystem:   append(slices.Clone(lower), layerService, layerSystem),
		layerBroker:   {layerStorage, layerBus},
		layerTool:     append(slices.Clone(lower), layerBroker, layerSystem, layerTool),
		layerCmd:      append(slices.Clone(lower), layerBroker, layerSystem, layerTool, layerCmd),
		layerMain:     {layerCmd},
	}
}

// exceptions are known breaks of the rules (importer, imported), each
// with its way out; one whose package is gone no longer applies.
func exceptions() map[[2]string]string {
	return map[[2]string]string{}
}

// layerOf returns the layer of package path (in module sagalab) and, for a
// service's package, the service.
func layerOf(path string) (layer, service string, ok bool) {
	rel, _ := strings.CutPrefix(path, "sagalab/")
	parts := strings.Split(rel, "/")
	switch {
	case path == "sagalab":
		return layerMain, "", true
	case parts[0] == "storage":
		return layerStorage, "", true
	case rel == "bus":
		return layerBus, "", true
	case rel == "bus/jetstream":
		return layerBroker, "", true
	case parts[0] == "bus":
		return layerBusExt, "", true
	case rel == "cmd":
		return layerCmd, "", true
	case len(parts) >= 3 && parts[0] == "cmd" && parts[1] == "internal":
		return layerTool, "", true
	case parts[0] == "modules" && len(parts) >= 2:
		switch {
		case parts[1] == "shared":
			return layerShared, "", true
		case parts[1] == "system":
			return layerSystem, "", true
		case len(parts) >= 3 && parts[2] == "contract":
			return layerContract, parts[1], true
		}
		return layerService, parts[1], true
	}
	return "", "", false
}

// pkg is what go list says of one package.
type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// layerViolations checks every import of pkgs, tests' included, against the
// layer rules, and says what is wrong with each that breaks one.
func layerViolations(pkgs []pkg) []string {
	allowed, except := mayImport(), exceptions()
	var out []string
	for _, p := range pkgs {
		from, fromSvc, ok := layerOf(p.ImportPath)
		if !ok {
			out = append(out, fmt.Sprintf("%s: in no layer; give it one in architecture_test.go", p.ImportPath))
			continue
		}
		imports := slices.Concat(p.Imports, p.TestImports, p.XTestImports)
		slices.Sort(imports)
		for _, imp := range slices.Compact(imports) {
			if imp == p.ImportPath || (imp != "sagalab" && !strings.HasPrefix(imp, "sagalab/")) {
				continue
			}
			if _, ok := except[[2]string{p.ImportPath, imp}]; ok {
				continue
			}
			to, toSvc, ok := layerOf(imp)
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s imports %s, which is in no layer", p.ImportPath, imp))
			case !slices.Contains(allowed[from], to):
				out = append(out, fmt.Sprintf("%s (layer %s) imports %s (layer %s): layer %s may import only %s",
					p.ImportPath, from, imp, to, from, strings.Join(allowed[from], ", ")))
			case to == layerService && from == layerService && toSvc != fromSvc:
				out = append(out, fmt.Sprintf("%s imports %s: a service may import only the contract of another (%s)",
					p.ImportPath, imp, "sagalab/modules/"+toSvc+"/contract"))
			case to == layerContract && from == layerContract && toSvc != fromSvc:
				out = append(out, fmt.Sprintf("%s imports %s: a contract imports no other service", p.ImportPath, imp))
			}
		}
	}
	return out
}

// goList lists every package of the module with its imports.
func goList(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,TestImports,XTestImports", "sagalab/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("read go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// Every import in the module runs down the layers: nothing imports a layer
// above its own, a service imports no other service's internals, and cmd
// reaches the services only through the composition root and contracts.
func TestLayers(t *testing.T) {
	pkgs := goList(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	for _, v := range layerViolations(pkgs) {
		t.Error(v)
	}
}

// The rules catch what they are for: an upward import, a service reaching
// into another, a contract importing a service, cmd reaching past the
// composition root; and let through what is allowed.
func TestLayerRules(t *testing.T) {
	for _, c := range []struct {
		from, imp string
		ok        bool
	}{
		{"sagalab/storage", "sagalab/bus", false},
		{"sagalab/bus", "sagalab/modules/order", false},
		{"sagalab/bus", "sagalab/bus/saga", false},
		{"sagalab/bus/saga", "sagalab/bus", true},
		{"sagalab/modules/shared/money", "sagalab/modules/customer", false},
		{"sagalab/modules/shared/rest", "sagalab/modules/order/contract", true},
		{"sagalab/modules/shared/rest", "sagalab/modules/order", false},
		{"sagalab/modules/gateway", "sagalab/modules/shared/rest", true},
		{"sagalab/cmd", "sagalab/modules/shared/rest", true},
		{"sagalab/modules/order", "sagalab/modules/customer", false},
		{"sagalab/modules/order", "sagalab/modules/customer/internal/x", false},
		{"sagalab/modules/order", "sagalab/modules/customer/contract", true},
		{"sagalab/modules/order", "sagalab/modules/order/contract", true},
		{"sagalab/modules/order/contract", "sagalab/modules/order", false},
		{"sagalab/modules/order/contract", "sagalab/modules/customer/contract", false},
		{"sagalab/modules/gateway", "sagalab/modules/system", false},
		{"sagalab/modules/system", "sagalab/modules/order", true},
		{"sagalab/modules/system", "sagalab/cmd/internal/trace", false},
		{"sagalab/cmd", "sagalab/modules/order", false},
		{"sagalab/cmd/internal/classroom", "sagalab/modules/history", false},
		{"sagalab/cmd/internal/classroom", "sagalab/modules/system", true},
		{"sagalab/cmd", "sagalab/cmd/internal/trace", true},
		{"sagalab", "sagalab/modules/system", false},
		{"sagalab/bus/jetstream", "sagalab/bus", true},
		{"sagalab/bus/jetstream", "sagalab/bus/saga", false},
		{"sagalab/modules/order", "sagalab/bus/jetstream", false},
		{"sagalab/modules/system", "sagalab/bus/jetstream", false},
		{"sagalab/cmd", "sagalab/bus/jetstream", true},
	} {
		got := layerViolations([]pkg{{ImportPath: c.from, Imports: []string{c.imp}}})
		if ok := len(got) == 0; ok != c.ok {
			t.Errorf("%s importing %s: violations %q, want allowed=%v", c.from, c.imp, got, c.ok)
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
