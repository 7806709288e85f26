// Package api is Sous's HTTP transport, on fiber v3: it decodes requests,
// calls a render.Service and encodes replies. It knows nothing about
// browsers; errors become status codes through one table (statusOf).
//
//	srv := api.New(service, api.Options{})
//	go srv.Serve(listener)
//	defer srv.Shutdown(ctx)
//
// Native routes:
//
//	POST /v1/render   a render.Request as JSON → {success, result, meta, errors}
//	GET  /healthz     200 while the process is alive
package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/sous-dev/sous/render"
)

// Renderer is what the API needs from the domain: render.Service.
type Renderer interface {
	Render(ctx context.Context, req *render.Request) (*render.Result, error)
}

// Options configure a Server. Zero values mean the documented defaults.
type Options struct {
	// BodyLimit is the largest request body in bytes; default 10 MiB.
	BodyLimit int
	// RetryAfter tells overloaded callers when to come back; default 1 s.
	RetryAfter func() time.Duration
	Logger     *slog.Logger
}

// Server serves the HTTP API.
type Server struct {
	app      *fiber.App
	renderer Renderer
	opts     Options
}

// New returns a Server for r.
func New(r Renderer, opts Options) *Server {
	if opts.BodyLimit == 0 {
		opts.BodyLimit = 10 << 20
	}
	if opts.RetryAfter == nil {
		opts.RetryAfter = func() time.Duration { return time.Second }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{renderer: r, opts: opts}
	s.app = fiber.New(fiber.Config{
		AppName:      "sous",
		BodyLimit:    opts.BodyLimit,
		ReadTimeout:  30 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorHandler: s.handleError,
	})
	s.app.Get("/healthz", func(c fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	s.app.Post("/v1/render", s.render)
	s.app.Use(func(c fiber.Ctx) error {
		return fail(c, fiber.StatusNotFound, "not_found", fmt.Sprintf("no route %s %s; see POST /v1/render", c.Method(), c.Path()))
	})
	return s
}

// App exposes the fiber app, for mounting more routes (MCP, metrics).
func (s *Server) App() *fiber.App { return s.app }

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	return s.app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
}

// Shutdown stops accepting connections and waits for requests in flight, up
// to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error { return s.app.ShutdownWithContext(ctx) }

// Envelope is the JSON shape of every /v1 reply.
type Envelope struct {
	Success bool           `json:"success"`
	Result  *render.Result `json:"result,omitempty"`
	Meta    *render.Meta   `json:"meta,omitempty"`
	Errors  []Error        `json:"errors"`
}

// Error is one entry of Envelope.Errors; Code is stable, Message is for people.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (s *Server) render(c fiber.Ctx) error {
	var req render.Request
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	start := time.Now()
	res, err := s.renderer.Render(c.Context(), &req)
	s.opts.Logger.Info("render", "url", hostOf(req.URL), "formats", req.Formats, "ms", time.Since(start).Milliseconds(), "code", render.Code(err))
	if err != nil {
		return err
	}
	return c.JSON(Envelope{Success: true, Result: res, Meta: &res.Meta, Errors: []Error{}})
}

// decodeJSON decodes the request body into v, refusing unknown fields so that
// a misspelt option is an error and not silently ignored. The body is read as
// JSON whatever its Content-Type says, since `curl -d` labels JSON as a form.
func decodeJSON(c fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: the request body is empty; send a JSON object such as {\"url\": \"https://example.com\"}", render.ErrInvalidRequest)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return fmt.Errorf("%w: the body is not valid JSON (at byte %d): %v", render.ErrInvalidRequest, syntax.Offset, err)
		case errors.As(err, &typ):
			return fmt.Errorf("%w: field %q must be %s, not JSON %s", render.ErrInvalidRequest, typ.Field, typ.Type, typ.Value)
		default:
			return fmt.Errorf("%w: %v", render.ErrInvalidRequest, strings.TrimPrefix(err.Error(), "json: "))
		}
	}
	if dec.More() {
		return fmt.Errorf("%w: the body holds more than one JSON value", render.ErrInvalidRequest)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: trailing data after the JSON object", render.ErrInvalidRequest)
	}
	return nil
}

// statusOf is the one table from errors to HTTP status codes.
func statusOf(err error) int {
	switch render.Code(err) {
	case "invalid_request":
		return fiber.StatusBadRequest
	case "blocked":
		return fiber.StatusForbidden
	case "timeout":
		return fiber.StatusGatewayTimeout
	case "overloaded":
		return fiber.StatusTooManyRequests
	case "navigation_failed":
		return fiber.StatusBadGateway
	case "browser_error", "unavailable":
		return fiber.StatusServiceUnavailable
	}
	return fiber.StatusInternalServerError
}

func (s *Server) handleError(c fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) { // fiber's own: body too large, bad method, …
		code := "invalid_request"
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			code = "too_large"
		}
		return fail(c, fe.Code, code, fe.Message)
	}
	status := statusOf(err)
	if status == fiber.StatusTooManyRequests || status == fiber.StatusServiceUnavailable {
		secs := int(s.opts.RetryAfter().Round(time.Second) / time.Second)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, secs)))
	}
	if status == fiber.StatusInternalServerError {
		s.opts.Logger.Error("request failed", "path", c.Path(), "err", err)
	}
	return fail(c, status, render.Code(err), err.Error())
}

func fail(c fiber.Ctx, status int, code, message string) error {
	return c.Status(status).JSON(Envelope{Errors: []Error{{Code: code, Message: message}}})
}

func hostOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
	}
	if i := strings.IndexAny(u, "/?#"); i >= 0 {
		u = u[:i]
	}
	return u
}
