package cmd

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"sagalab/cmd/internal/scenario"
	"sagalab/cmd/internal/web"
	"sagalab/modules/system"
)

// walkWeb runs the walkthrough of sc for a browser: the page on addr takes
// each step with its Next button, and stays up after the last one until
// Ctrl-C.
func walkWeb(cmd *cobra.Command, sc *scenario.Scenario, cfg system.Config, opt walkOptions, addr string) error {
	ctx := cmd.Context()
	out := cmd.OutOrStdout()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	opt.web = web.NewWalk(walkInfo(sc, cfg))
	opt.delay, opt.color, opt.keys = 0, false, nil
	mux := http.NewServeMux()
	opt.web.Routes(mux)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln) //nolint:errcheck // ends with Close below
	defer srv.Close()
	fmt.Fprintf(out, "walkthrough %s · %s on http://%s/\n", sc.Name, opt.web.Info().Coordination, ln.Addr())
	fmt.Fprintln(out, "  open it in a browser: Next takes each step, Back looks at the earlier ones; Ctrl-C stops")
	err = withTempDir(cfg, func(cfg system.Config, temporary bool) error {
		opt.recordNames = !temporary
		return walkthrough(ctx, io.Discard, sc, cfg, opt)
	})
	var exit *exitError
	if err != nil && !errors.As(err, &exit) {
		return err
	}
	fmt.Fprintln(out, "  the walkthrough is over: the page stays up to look back; Ctrl-C stops")
	<-ctx.Done()
	return err
}

// walkInfo says which walkthrough the page shows: the monolith draws one
// lane, the services one per module.
func walkInfo(sc *scenario.Scenario, cfg system.Config) web.WalkInfo {
	info := web.WalkInfo{Scenario: sc.Name, Title: sc.Title, Description: sc.Description,
		Coordination: modeTitle(cfg.SagaMode), Faults: cfg.Faults.String(), Concepts: sc.Concepts,
		Participants: system.Participants}
	if cfg.Architecture == system.Monolith {
		info.Coordination = "monolith: one database, no saga"
		info.Participants = []string{monolithLane}
	}
	return info
}
