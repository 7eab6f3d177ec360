// Package httpjson holds the few helpers every module's HTTP routes share:
// bounded JSON request bodies, JSON answers and JSON errors.
package httpjson

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

// Error is an error with the HTTP status that says what was wrong.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Errorf returns an *Error with status and a formatted message.
func Errorf(status int, format string, args ...any) error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// Decode reads r's body, at most MaxBody bytes of one JSON value, into v.
func Decode(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, MaxBody)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &tooBig):
			return Errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", MaxBody)
		case errors.Is(err, io.EOF):
			return Errorf(http.StatusBadRequest, "request body is empty: send a JSON object")
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return Errorf(http.StatusBadRequest, "request body is not valid JSON: %v", err)
		case errors.As(err, &typ):
			return Errorf(http.StatusBadRequest, "field %s: want a JSON %s, got %s", typ.Field, typ.Type.Kind(), typ.Value)
		default:
			return Errorf(http.StatusBadRequest, "request body: %v", err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(http.StatusBadRequest, "request body has data after the JSON object")
	}
	return nil
}

// Write answers with status and v as JSON.
func Write(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v) //nolint:errcheck // the client went away; nothing to do
}

// HandlerFunc is an HTTP handler that may fail.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle adapts fn to http.Handler: an *Error becomes its status and
// {"error": msg}; any other error is logged and becomes a 500.
func Handle(log *slog.Logger, fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		var e *Error
		if errors.As(err, &e) {
			Write(w, e.Status, map[string]string{"error": e.Msg})
			return
		}
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
		Write(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
	})
}
