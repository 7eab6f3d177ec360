// Package httpwrite lets HTTP middleware see what a handler answered: its
// status, the start of its body, and the route pattern that took the
// request.
package httpwrite

import "net/http"

// Recorder passes a handler's answer through and remembers its status and,
// when asked, the first bytes of its body. It unwraps to the original
// writer, so http.NewResponseController still flushes (for event streams).
type Recorder struct {
	http.ResponseWriter
	status int
	keep   int
	body   []byte
}

// Record wraps w.
func Record(w http.ResponseWriter) *Recorder {
	if r, ok := w.(*Recorder); ok {
		return r // one recorder serves every middleware
	}
	return &Recorder{ResponseWriter: w}
}

// Keep asks r to remember up to n bytes of the body.
func (r *Recorder) Keep(n int) { r.keep = max(r.keep, n) }

// WriteHeader records status and passes it on.
func (r *Recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

// Write passes b on, keeping its start if asked.
func (r *Recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if room := r.keep - len(r.body); room > 0 {
		r.body = append(r.body, b[:min(room, len(b))]...)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap returns the original writer.
func (r *Recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Status is the status answered (200 when the handler wrote nothing).
func (r *Recorder) Status() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

// Body is the start of the body kept (see Keep).
func (r *Recorder) Body() []byte { return r.body }

// Route is the pattern of the route that took r, once served by a
// ServeMux, or "unmatched". It bounds the values a metric label or a log
// field takes.
func Route(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}
