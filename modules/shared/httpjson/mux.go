package httpjson

import (
	"fmt"
	"net/http"
)

// Mux serves mux's routes and answers a request that none of them takes as
// the API answers every error, in JSON: 404 for a path with no route, 405
// with an Allow header for a method the path does not take.
func Mux(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" { // a route, or a redirect to a clean path
			mux.ServeHTTP(w, r)
			return
		}
		// No route: mux's own answer says 404 or 405; keep its status and
		// Allow header, not its text.
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if allow := rec.header.Get("Allow"); rec.status == http.StatusMethodNotAllowed && allow != "" {
			w.Header().Set("Allow", allow)
			Write(w, http.StatusMethodNotAllowed, map[string]string{
				"error": fmt.Sprintf("method %s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, allow)})
			return
		}
		Write(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)})
	})
}

// recorder keeps the status and header a handler writes and drops its body.
type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return len(b), nil
}
