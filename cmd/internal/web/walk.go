package web

import (
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"sync"
	"time"

	"sagalab/cmd/internal/trace"
	"sagalab/modules/shared/httpjson"
)

// WalkInfo says which walkthrough runs.
type WalkInfo struct {
	Scenario    string `json:"scenario"`
	Title       string `json:"title"`
	Description string `json:"description"`
	// Coordination says how orders are coordinated, as the page shows it:
	// "choreography saga", "two-phase commit", "monolith: …".
	Coordination string   `json:"coordination"`
	Faults       string   `json:"faults"`
	Concepts     []string `json:"concepts"`
	// Participants are the diagram's lanes, left to right.
	Participants []string `json:"participants"`
}

// RowChange is a row of a module's table that a step added (+), removed (-)
// or changed (~).
type RowChange struct {
	Table  string `json:"table"`
	Change string `json:"change"`
	Row    string `json:"row"`
}

// WalkStep is one step of a walkthrough, as the terminal shows it: the idea,
// what happened, the new part of the diagram and the rows that changed.
type WalkStep struct {
	N       int          `json:"n"`
	At      string       `json:"at"`
	Explain string       `json:"explain"`
	Say     string       `json:"say,omitempty"`
	What    string       `json:"what"`
	Lines   []string     `json:"lines,omitempty"`
	Diagram []trace.Step `json:"diagram"`
	Rows    []RowChange  `json:"rows"`
}

// Walk is a walkthrough served to a browser: the walkthrough records each
// step with Add and waits in Next until the page asks for the next one. The
// page goes back through the steps recorded without the walkthrough.
type Walk struct {
	info WalkInfo
	next chan struct{}

	mu      sync.Mutex
	steps   []WalkStep
	summary []string
	done    bool
	changed chan struct{} // closed and replaced at each change
}

// NewWalk makes a Walk with no steps yet.
func NewWalk(info WalkInfo) *Walk {
	return &Walk{info: info, next: make(chan struct{}, 1), changed: make(chan struct{})}
}

// Info says which walkthrough runs.
func (w *Walk) Info() WalkInfo { return w.info }

// Add records a step.
func (w *Walk) Add(st WalkStep) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.steps = append(w.steps, st)
	w.notifyLocked()
}

// Finish records the walkthrough's summary: there is no next step.
func (w *Walk) Finish(summary []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.summary, w.done = summary, true
	w.notifyLocked()
}

func (w *Walk) notifyLocked() {
	close(w.changed)
	w.changed = make(chan struct{})
}

// Next waits until the page asks for the next step.
func (w *Walk) Next(ctx context.Context) error {
	select {
	case <-w.next:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

type walkState struct {
	WalkInfo
	Steps   []WalkStep `json:"steps"`
	Summary []string   `json:"summary"`
	Done    bool       `json:"done"`
}

func (w *Walk) state() (walkState, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return walkState{WalkInfo: w.info, Steps: append([]WalkStep{}, w.steps...),
		Summary: append([]string{}, w.summary...), Done: w.done}, w.changed
}

// stepWait bounds how long POST /web/walk/next waits for the step it asked for.
const stepWait = 20 * time.Second

// Routes adds the walkthrough page and its routes to mux:
//
//	GET  /                  the walkthrough page
//	GET  /web/walk          the steps so far (and the summary once done)
//	POST /web/walk/next     take the next step; answers once it is recorded
func (w *Walk) Routes(mux *http.ServeMux) {
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServerFS(static)
	mux.HandleFunc("GET /{$}", func(rw http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(rw, r, static, "walk.html")
	})
	mux.Handle("GET /web/assets/", http.StripPrefix("/web/assets/", files))
	mux.HandleFunc("GET /web/walk", func(rw http.ResponseWriter, _ *http.Request) {
		st, _ := w.state()
		httpjson.Write(rw, http.StatusOK, st)
	})
	mux.HandleFunc("POST /web/walk/next", func(rw http.ResponseWriter, r *http.Request) {
		st, changed := w.state()
		if st.Done {
			httpjson.Write(rw, http.StatusConflict, map[string]string{"error": "the walkthrough is over: no next step"})
			return
		}
		select {
		case w.next <- struct{}{}:
		default: // already asked for
		}
		select {
		case <-changed:
		case <-time.After(stepWait):
			httpjson.Write(rw, http.StatusServiceUnavailable, map[string]string{
				"error": fmt.Sprintf("the next step did not come within %s", stepWait)})
			return
		case <-r.Context().Done():
			return
		}
		st, _ = w.state()
		httpjson.Write(rw, http.StatusOK, st)
	})
}
