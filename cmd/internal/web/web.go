// Package web serves sagalab's classroom page: orders and their sagas live,
// an order's sequence diagram, each module's rows, and the actions a class
// tries (create a customer, place an order in either saga mode, cancel it,
// compare the CQRS view with API composition). The page is plain HTML, CSS
// and JavaScript embedded in the binary: no build step, nothing fetched from
// the Internet. It uses the REST API for actions and three routes of its
// own:
//
//	GET /web/events                  Server-Sent Events: one per handled message
//	GET /web/orders/{id}/trace       the order's trace (as sagalab trace --format json)
//	GET /web/rows                    the rows each module's database holds
package web

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"sagalab/cmd/internal/classroom"
	"sagalab/cmd/internal/trace"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/system"
)

//go:embed assets
var assets embed.FS

// heartbeat is how often an idle event stream sends a comment, so proxies
// and browsers keep it open and a page that left is noticed.
const heartbeat = 15 * time.Second

// Routes adds the page and its routes to mux.
func Routes(mux *http.ServeMux, sys *system.System, b *Broadcaster, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(static)
	mux.Handle("GET /{$}", files)
	mux.Handle("GET /web/assets/", http.StripPrefix("/web/assets/", files))
	mux.Handle("GET /web/events", events(b))
	mux.Handle("GET /web/orders/{id}/trace", httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		t, err := trace.Of(r.Context(), sys, r.PathValue("id"))
		if errors.Is(err, ordercontract.ErrNotFound) {
			return httpjson.Errorf(http.StatusNotFound, "order %q not found", r.PathValue("id"))
		}
		if err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, t)
		return nil
	}))
	mux.Handle("GET /web/rows", httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		rows, err := classroom.ReadRows(r.Context(), sys)
		if err != nil {
			return err
		}
		type table struct {
			Name string            `json:"name"`
			Rows map[string]string `json:"rows"`
		}
		out := []table{}
		for _, name := range classroom.TableNames() {
			out = append(out, table{Name: name, Rows: rows[name]})
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"tables": out})
		return nil
	}))
}

// events streams b's updates to one page as Server-Sent Events.
func events(b *Broadcaster) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Subscribe before the page sees the stream open, so nothing that
		// happens once it has is missed.
		updates, cancel := b.Subscribe()
		defer cancel()
		rc := http.NewResponseController(w)
		rc.SetWriteDeadline(time.Time{}) //nolint:errcheck // a stream outlives the server's write timeout
		w.Header().Set("Content-Type", "text/event-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, "retry: 1000\n\n")
		if rc.Flush() != nil {
			return
		}
		tick := time.NewTicker(heartbeat)
		defer tick.Stop()
		for {
			select {
			case <-r.Context().Done():
				return
			case <-tick.C:
				fmt.Fprint(w, ": still here\n\n")
			case u, ok := <-updates:
				if !ok {
					return // dropped: the page reconnects and reloads
				}
				data, _ := json.Marshal(u) // strings only: cannot fail
				fmt.Fprintf(w, "data: %s\n\n", data)
			}
			if rc.Flush() != nil {
				return
			}
		}
	})
}
