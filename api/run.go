package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/sous-dev/sous/render"
)

// RunEnvelope is the reply of POST /v1/run: what the program returned, what
// it logged, and on failure why, with the logs kept so the caller can see
// how far it got.
type RunEnvelope struct {
	Success bool            `json:"success"`
	Result  json.RawMessage `json:"result"`
	Logs    []string        `json:"logs"`
	Errors  []Error         `json:"errors"`
	Meta    RunMeta         `json:"meta"`
}

// RunMeta describes a program's run.
type RunMeta struct {
	Renders    int   `json:"renders"`
	DurationMs int64 `json:"durationMs"`
}

// run is POST /v1/run: a code-mode program, {code, timeoutMs}.
func (s *Server) run(w http.ResponseWriter, r *http.Request) error {
	var prog render.Program
	if err := s.decodeJSON(w, r, &prog); err != nil {
		return err
	}
	start := time.Now()
	res, err := s.opts.Programs.Run(r.Context(), &prog)
	d := time.Since(start)
	level := slog.LevelInfo
	if err != nil && statusOf(err) >= http.StatusInternalServerError {
		level = slog.LevelWarn
	}
	s.opts.Logger.LogAttrs(r.Context(), level, "run",
		slog.String("id", requestID(r.Context())), slog.Int64("ms", d.Milliseconds()), slog.String("code", string(render.CodeOf(err))))
	if res == nil { // the program never started
		if err == nil {
			err = errors.New("the program runner returned nothing")
		}
		return err
	}
	env := RunEnvelope{Success: err == nil, Result: res.Result, Logs: res.Logs, Errors: []Error{},
		Meta: RunMeta{Renders: res.Renders, DurationMs: d.Milliseconds()}}
	if env.Logs == nil {
		env.Logs = []string{}
	}
	if len(env.Result) == 0 {
		env.Result = json.RawMessage("null")
	}
	status := http.StatusOK
	if err != nil {
		status = statusOf(err)
		env.Errors = []Error{errorOf(err)}
		s.setRetryAfter(w, status)
	}
	writeJSON(w, status, env)
	return nil
}

// errorOf is err as an entry of a reply's errors, with the line and column
// of a script's failure.
func errorOf(err error) Error {
	e := Error{Code: string(render.CodeOf(err)), Message: err.Error()}
	var se *render.ScriptError
	if errors.As(err, &se) {
		e.Message, e.Line, e.Column = se.Message, se.Line, se.Column
	}
	return e
}
