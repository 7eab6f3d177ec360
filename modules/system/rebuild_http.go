package system

import (
	"context"
	"errors"
	"net/http"
	"time"

	"sagalab/modules/history"
	"sagalab/modules/shared/httpjson"
)

// postViewRebuild rebuilds the view (System.RebuildView) and answers with
// what the rebuild did. The rebuild runs to its end even if the client
// leaves; only Close stops it.
func (s *System) postViewRebuild(w http.ResponseWriter, r *http.Request) error {
	// A large view takes longer than the server's write timeout.
	http.NewResponseController(w).SetWriteDeadline(time.Time{}) //nolint:errcheck // not every writer has deadlines
	tenth := 0
	res, err := s.RebuildView(context.WithoutCancel(r.Context()), func(st RebuildStatus) {
		if t := st.Applied * 10 / max(st.Total, 1); t > tenth {
			tenth = t
			s.log.Info("rebuilding the view", "topic", st.Topic, "applied", st.Applied, "total", st.Total)
		}
	})
	switch {
	case errors.Is(err, ErrRebuildRunning):
		return httpjson.Errorf(http.StatusConflict, "%v: wait for it to end", err)
	case err != nil && s.rebuild.life.Err() != nil:
		return httpjson.Errorf(http.StatusServiceUnavailable, "the server is stopping: the view was not rebuilt")
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
