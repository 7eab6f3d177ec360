package system

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"sagalab/bus"
	"sagalab/modules/shared/httpjson"
)

// DeadLetterJSON is a dead letter as GET /dead-letters and
// "sagalab dead-letters list --json" show it.
type DeadLetterJSON struct {
	Consumer      string          `json:"consumer"`
	MessageID     string          `json:"messageId"`
	Type          string          `json:"type"`
	Source        string          `json:"source"`
	Topic         string          `json:"topic"`
	CorrelationID string          `json:"correlationId"`
	CausationID   string          `json:"causationId,omitempty"`
	Error         string          `json:"error"`
	Attempts      int             `json:"attempts"`
	FirstSeen     time.Time       `json:"firstSeen"`
	LastSeen      time.Time       `json:"lastSeen"`
	Payload       json.RawMessage `json:"payload"`
}

// DeadLetterJSONOf converts a dead letter for JSON.
func DeadLetterJSONOf(dl bus.DeadLetter) DeadLetterJSON {
	payload := json.RawMessage(dl.Payload)
	if !json.Valid(payload) { // every outbox payload is JSON; be safe anyway
		payload, _ = json.Marshal(string(dl.Payload))
	}
	return DeadLetterJSON{Consumer: dl.Consumer, MessageID: dl.ID, Type: dl.Type, Source: dl.Source, Topic: dl.Topic,
		CorrelationID: dl.CorrelationID, CausationID: dl.CausationID, Error: dl.Error, Attempts: dl.Attempts,
		FirstSeen: dl.FirstSeen, LastSeen: dl.LastSeen, Payload: payload}
}

// DeadLettersJSON is the GET /dead-letters answer.
type DeadLettersJSON struct {
	DeadLetters []DeadLetterJSON `json:"deadLetters"`
}

// DeadLetterResultJSON is the answer to a retry or a drop: the dead letter
// as it was, and what became of it.
type DeadLetterResultJSON struct {
	Handled    bool           `json:"handled,omitempty"`
	Dropped    bool           `json:"dropped,omitempty"`
	DeadLetter DeadLetterJSON `json:"deadLetter"`
}

// retryTimeout bounds a retry asked for over HTTP; it runs to the end even
// if the client leaves.
const retryTimeout = 20 * time.Second

// deadLetterRoutes serves the dead letters of b's consumers: list, show,
// retry and drop.
func deadLetterRoutes(mux *http.ServeMux, log *slog.Logger, b *bus.Bus) {
	mux.Handle("GET /dead-letters", httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		list, err := b.DeadLetters(r.Context())
		if err != nil {
			return err
		}
		out := DeadLettersJSON{DeadLetters: make([]DeadLetterJSON, 0, len(list))}
		for _, dl := range list {
			out.DeadLetters = append(out.DeadLetters, DeadLetterJSONOf(dl))
		}
		httpjson.Write(w, http.StatusOK, out)
		return nil
	}))
	mux.Handle("GET /dead-letters/{consumer}/{id}", httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		dl, err := b.DeadLetter(r.Context(), r.PathValue("consumer"), r.PathValue("id"))
		if err != nil {
			return deadLetterError(err)
		}
		httpjson.Write(w, http.StatusOK, DeadLetterJSONOf(dl))
		return nil
	}))
	mux.Handle("POST /dead-letters/{consumer}/{id}/retry", httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), retryTimeout)
		defer cancel()
		dl, err := b.RetryDeadLetter(ctx, r.PathValue("consumer"), r.PathValue("id"))
		if err != nil {
			return deadLetterError(err)
		}
		httpjson.Write(w, http.StatusOK, DeadLetterResultJSON{Handled: true, DeadLetter: DeadLetterJSONOf(dl)})
		return nil
	}))
	mux.Handle("DELETE /dead-letters/{consumer}/{id}", httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		dl, err := b.DropDeadLetter(context.WithoutCancel(r.Context()), r.PathValue("consumer"), r.PathValue("id"))
		if err != nil {
			return deadLetterError(err)
		}
		httpjson.Write(w, http.StatusOK, DeadLetterResultJSON{Dropped: true, DeadLetter: DeadLetterJSONOf(dl)})
		return nil
	}))
}

// deadLetterError gives err the status that says what went wrong.
func deadLetterError(err error) error {
	switch {
	case errors.Is(err, bus.ErrNoDeadLetter):
		return httpjson.Errorf(http.StatusNotFound, "%v", err)
	case errors.Is(err, bus.ErrStillFailing), errors.Is(err, bus.ErrPaused):
		return httpjson.Errorf(http.StatusConflict, "%v", err)
	case errors.Is(err, bus.ErrNotRunning):
		return httpjson.Errorf(http.StatusServiceUnavailable, "%v", err)
	}
	return err
}

// parkedText tells a saga's story line for a dead letter.
func parkedText(dl bus.DeadLetter) string {
	return fmt.Sprintf("gave up on %s from the %s after %d attempts: parked as a dead letter",
		dl.Type, serviceName[dl.Source], dl.Attempts)
}
