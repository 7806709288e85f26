package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/requestid"

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
func (s *Server) run(c fiber.Ctx) error {
	var prog render.Program
	if err := decodeJSON(c, &prog); err != nil {
		return err
	}
	start := time.Now()
	res, err := s.opts.Programs.Run(c.Context(), &prog)
	d := time.Since(start)
	level := slog.LevelInfo
	if err != nil && statusOf(err) >= fiber.StatusInternalServerError {
		level = slog.LevelWarn
	}
	s.opts.Logger.LogAttrs(c.Context(), level, "run",
		slog.String("id", requestid.FromContext(c)), slog.Int64("ms", d.Milliseconds()), slog.String("code", render.Code(err)))
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
	status := fiber.StatusOK
	if err != nil {
		status = statusOf(err)
		env.Errors = []Error{errorOf(err)}
		s.setRetryAfter(c, status)
	}
	return c.Status(status).JSON(env)
}

// errorOf is err as an entry of a reply's errors, with the line and column
// of a script's failure.
func errorOf(err error) Error {
	e := Error{Code: render.Code(err), Message: err.Error()}
	var se *render.ScriptError
	if errors.As(err, &se) {
		e.Message, e.Line, e.Column = se.Message, se.Line, se.Column
	}
	return e
}
