package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"sagalab/modules/gateway"
	"sagalab/modules/history"
	"sagalab/modules/shared/httpjson"
)

// postViewRebuild rebuilds the view (System.RebuildView).
func (s *System) postViewRebuild(w http.ResponseWriter, r *http.Request) error {
	return serveRebuild(w, r, s.log, s.rebuild.life, s.RebuildView)
}

// serveRebuild answers POST /views/rebuild with what rebuild did: 409
// while another runs, 503 naming the service whose event log it could not
// read (the view is then unchanged). The rebuild runs to its end even if
// the client leaves; only the end of life stops it.
func serveRebuild(w http.ResponseWriter, r *http.Request, log *slog.Logger, life context.Context,
	rebuild func(context.Context, RebuildProgress) (RebuildResult, error)) error {
	// A large view takes longer than the server's write timeout.
	http.NewResponseController(w).SetWriteDeadline(time.Time{}) //nolint:errcheck // not every writer has deadlines
	tenth := 0
	res, err := rebuild(context.WithoutCancel(r.Context()), func(st RebuildStatus) {
		if t := st.Applied * 10 / max(st.Total, 1); t > tenth {
			tenth = t
			log.Info("rebuilding the view", "topic", st.Topic, "applied", st.Applied, "total", st.Total)
		}
	})
	var down *gateway.UnavailableError
	switch {
	case errors.Is(err, ErrRebuildRunning):
		return httpjson.Errorf(http.StatusConflict, "%v: wait for it to end", err)
	case err != nil && life.Err() != nil:
		return httpjson.Errorf(http.StatusServiceUnavailable, "the server is stopping: the view was not rebuilt")
	case errors.As(err, &down):
		log.Warn("view not rebuilt", "error", err)
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{
			"error":   fmt.Sprintf("the view was not rebuilt: %v", down),
			"service": down.Service,
		})
		return nil
	case err != nil:
		return err
	}
	positions := map[string]int64{}
	for _, p := range res.Positions {
		positions[p.Topic] = p.N
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"view":      history.Module,
		"events":    res.Events,
		"positions": positions,
		"tookMs":    res.Took.Milliseconds(),
	})
	return nil
}
