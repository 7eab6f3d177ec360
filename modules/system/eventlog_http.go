package system

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"sagalab/bus"
	"sagalab/modules/gateway"
	"sagalab/modules/shared/httpjson"
	"sagalab/storage"
)

// A module's event log over HTTP: the Order and Customer services serve
// theirs (their outboxes) under /internal/log, and the History service
// reads them from there to rebuild its view when each runs in a process
// of its own.

// maxLogPage is the most events GET /internal/log answers at once.
const maxLogPage = 5000

// logEndJSON is where a module's event log ends: GET /internal/log/end.
type logEndJSON struct {
	Topic string `json:"topic"`
	Count int    `json:"count"`
	Last  int64  `json:"last"`
}

// logPageJSON is a page of a module's event log: GET
// /internal/log?after=N&limit=M.
type logPageJSON struct {
	Topic  string         `json:"topic"`
	Events []logEventJSON `json:"events"`
}

// logEventJSON is one event of a log, as bus.Envelope has it.
type logEventJSON struct {
	ID            string          `json:"id"`
	Type          string          `json:"type"`
	Source        string          `json:"source"`
	Topic         string          `json:"topic"`
	CorrelationID string          `json:"correlationId,omitempty"`
	CausationID   string          `json:"causationId,omitempty"`
	ReplyTo       string          `json:"replyTo,omitempty"`
	Seq           int64           `json:"seq"`
	Position      int64           `json:"position"`
	CreatedAt     time.Time       `json:"createdAt"`
	Payload       json.RawMessage `json:"payload"`
}

func logEventFrom(e bus.Envelope) logEventJSON {
	return logEventJSON{ID: e.ID, Type: e.Type, Source: e.Source, Topic: e.Topic, CorrelationID: e.CorrelationID,
		CausationID: e.CausationID, ReplyTo: e.ReplyTo, Seq: e.Seq, Position: e.Position, CreatedAt: e.CreatedAt,
		Payload: e.Payload}
}

func (e logEventJSON) envelope() bus.Envelope {
	return bus.Envelope{ID: e.ID, Type: e.Type, Source: e.Source, Topic: e.Topic, CorrelationID: e.CorrelationID,
		CausationID: e.CausationID, ReplyTo: e.ReplyTo, Seq: e.Seq, Position: e.Position, CreatedAt: e.CreatedAt,
		Payload: e.Payload}
}

// logRoutes serves the event log of topic that module keeps in db.
func logRoutes(mux *http.ServeMux, log *slog.Logger, db *storage.DB, module, topic string) {
	l := localLog{db: db, module: module, topic: topic}
	mux.Handle("GET /internal/log/end", httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		n, last, err := l.End(r.Context())
		if err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, logEndJSON{Topic: topic, Count: n, Last: last})
		return nil
	}))
	mux.Handle("GET /internal/log", httpjson.Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		after, err := strconv.ParseInt(q.Get("after"), 10, 64)
		if err != nil || after < 0 {
			return httpjson.Errorf(http.StatusBadRequest, "after: want a position, 0 or more")
		}
		limit, err := strconv.Atoi(q.Get("limit"))
		if err != nil || limit < 1 || limit > maxLogPage {
			return httpjson.Errorf(http.StatusBadRequest, "limit: want 1 to %d events", maxLogPage)
		}
		events, err := l.Read(r.Context(), after, limit)
		if err != nil {
			return err
		}
		page := logPageJSON{Topic: topic, Events: make([]logEventJSON, len(events))}
		for i, e := range events {
			page.Events[i] = logEventFrom(e)
		}
		httpjson.Write(w, http.StatusOK, page)
		return nil
	}))
}

// remoteLog is a module's event log read over HTTP from the module's own
// API. Its errors are *gateway.UnavailableError, naming the module, when
// the module does not answer.
type remoteLog struct {
	services *gateway.Proxy
	module   string
}

// remoteSource is the view's source topic of module, read over HTTP.
func remoteSource(services *gateway.Proxy, module, topic string) viewSource {
	return viewSource{module: module, topic: topic, log: remoteLog{services: services, module: module}}
}

func (l remoteLog) End(ctx context.Context) (int, int64, error) {
	var end logEndJSON
	if err := l.services.Get(ctx, l.module, "/internal/log/end", nil, &end, nil); err != nil {
		return 0, 0, err
	}
	return end.Count, end.Last, nil
}

func (l remoteLog) Read(ctx context.Context, after int64, limit int) ([]bus.Envelope, error) {
	q := url.Values{"after": {strconv.FormatInt(after, 10)}, "limit": {strconv.Itoa(min(limit, maxLogPage))}}
	var page logPageJSON
	if err := l.services.Get(ctx, l.module, "/internal/log", q, &page, nil); err != nil {
		return nil, err
	}
	out := make([]bus.Envelope, len(page.Events))
	for i, e := range page.Events {
		out[i] = e.envelope()
	}
	return out, nil
}
