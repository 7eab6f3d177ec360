package httpjson

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A handler runs under the server's deadline, not its client's connection.
func TestHandleDetachesFromTheClient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client has gone
	var err error
	var deadline time.Time
	h := Handle(slog.New(slog.DiscardHandler), func(w http.ResponseWriter, r *http.Request) error {
		err, deadline = r.Context().Err(), time.Now()
		if d, ok := r.Context().Deadline(); ok {
			deadline = d
		}
		Write(w, http.StatusCreated, map[string]string{})
		return nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/x", nil).WithContext(ctx))
	if err != nil || rec.Code != http.StatusCreated {
		t.Fatalf("handler saw %v and answered %d, want no error and 201", err, rec.Code)
	}
	if left := time.Until(deadline); left < Deadline-time.Second || left > Deadline {
		t.Errorf("deadline in %s, want about %s", left, Deadline)
	}
}

func TestHandleErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		code int
		msg  string
	}{
		{Errorf(http.StatusConflict, "order %s is %s", "o1", "CANCELLED"), 409, "order o1 is CANCELLED"},
		{errors.New("disk on fire"), 500, "internal error"},
	} {
		h := Handle(slog.New(slog.DiscardHandler), func(http.ResponseWriter, *http.Request) error { return c.err })
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		var body map[string]string
		err := json.Unmarshal(rec.Body.Bytes(), &body)
		if rec.Code != c.code || err != nil || body["error"] != c.msg || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%v: %d %s, want %d with error %q", c.err, rec.Code, rec.Body, c.code, c.msg)
		}
	}
}

// Mux leaves the routes and the clean-path redirects to the ServeMux.
func TestMuxKeepsRoutesAndRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a/{id}", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(r.PathValue("id"))) })
	h := Mux(mux)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/a/7", nil))
	if rec.Code != 200 || rec.Body.String() != "7" {
		t.Errorf("GET /a/7 = %d %q, want 200 7", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/b/../a/7", nil))
	if rec.Code/100 != 3 || rec.Header().Get("Location") != "/a/7" {
		t.Errorf("GET /b/../a/7 = %d to %q, want a redirect to /a/7", rec.Code, rec.Header().Get("Location"))
	}
}
