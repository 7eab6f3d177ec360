// Package httpjson holds the few helpers every module's HTTP routes share:
// bounded JSON request bodies, JSON answers and JSON errors.
package httpjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"time"
)

// MaxBody is the largest request body accepted.
const MaxBody = 1 << 20

// Error is an error with the HTTP status that says what was wrong. Its
// message names what is at fault (a field, a parameter, an order), then says
// once what is wrong with it: `creditLimit.amount: "ten" is not a decimal
// number such as 12.34`.
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
			return Errorf(http.StatusRequestEntityTooLarge, "request body: larger than %d bytes", MaxBody)
		case errors.Is(err, io.EOF):
			return Errorf(http.StatusBadRequest, "request body: empty; send a JSON object")
		case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
			return Errorf(http.StatusBadRequest, "request body: not valid JSON (%v)", err)
		case errors.As(err, &typ):
			field := typ.Field
			if field == "" {
				field = "request body"
			}
			return Errorf(http.StatusBadRequest, "%s: want a JSON %s, got %s", field, jsonKind(typ.Type), typ.Value)
		default:
			return Errorf(http.StatusBadRequest, "request body: %v", err)
		}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(http.StatusBadRequest, "request body: data after the JSON object")
	}
	return nil
}

// jsonKind names the JSON type that decodes into t.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	default:
		return "number"
	}
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

// Deadline bounds the work of one request. A request is carried out under
// the server's own deadline, not its client's connection: a validated write
// completes, and is committed, even if the client half-closes its side or
// goes away. It is longer than any wait a request may ask for.
const Deadline = 45 * time.Second

// Handle adapts fn to http.Handler. fn runs with a context detached from
// the client's connection and bounded by Deadline. An *Error becomes its
// status and {"error": msg}; the deadline passing becomes a 503; any other
// error is logged and becomes a 500.
func Handle(log *slog.Logger, fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), Deadline)
		defer cancel()
		err := fn(w, r.WithContext(ctx))
		if err == nil {
			return
		}
		var e *Error
		switch {
		case errors.As(err, &e):
			Write(w, e.Status, map[string]string{"error": e.Msg})
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil:
			log.Warn("request ran out of time", "method", r.Method, "path", r.URL.Path, "deadline", Deadline, "error", err)
			w.Header().Set("Retry-After", "1")
			Write(w, http.StatusServiceUnavailable, map[string]string{
				"error": fmt.Sprintf("the server did not finish the request within %s: try again", Deadline)})
		default:
			log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err)
			Write(w, http.StatusInternalServerError, map[string]string{"error": "internal error"})
		}
	})
}
