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
//	POST /v1/render   a render.Request as JSON → {success, result, meta, errors};
//	                  ?cacheTTL=N overrides the body's cacheTTL. Replies carry
//	                  X-Cache (meta.cache), X-Browser-Ms-Used and X-Request-ID.
//	                  With script, result.script is what the script returned.
//	POST /v1/run      a code-mode program {code, timeoutMs} → {success, result,
//	                  logs, errors, meta} (Options.Programs)
//	POST /v1/crawl    a crawl job (Options.Crawler); GET, DELETE and /events
//	                  on /v1/crawl/{id}: see crawl.go
//	GET  /healthz     200 while the process is alive
//	GET  /readyz      200 while a browser is ready (Options.Ready), else 503
//	GET  /metrics     Prometheus metrics (Options.Metrics)
//	GET  /pressure    load and limits as Browserless reports them (Options.Pressure)
package api

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/gofiber/fiber/v3/middleware/requestid"

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

	// Ready reports whether the service can render now, for /readyz;
	// nil means always.
	Ready func() bool
	// Metrics serves /metrics; nil means no such route.
	Metrics http.Handler
	// Pressure reports load and limits for /pressure; nil means no such route.
	Pressure func() Pressure
	// JSON answers Cloudflare's /json route; nil means the route explains
	// how to configure a model.
	JSON JSONExtractor
	// Crawler runs crawl jobs (/v1/crawl and Cloudflare's /crawl, see
	// crawl.go); nil means those routes say crawling is not enabled.
	Crawler Crawler
	// Tokens, when any are set, are the bearer tokens that every route but
	// /healthz requires (Authorization: Bearer TOKEN, Cloudflare's form).
	Tokens []string
	// Programs runs code-mode programs for POST /v1/run; nil means no such
	// route.
	Programs render.ProgramRunner
}

// Pressure is the body of /pressure, under "pressure", in Browserless's shape
// so that its load balancer health checks work unchanged.
type Pressure struct {
	Running       int  `json:"running"`
	Queued        int  `json:"queued"`
	MaxConcurrent int  `json:"maxConcurrent"`
	MaxQueued     int  `json:"maxQueued"`
	IsAvailable   bool `json:"isAvailable"`
	// CPU and Memory are the machine's use in percent.
	CPU    int `json:"cpu"`
	Memory int `json:"memory"`
	// Reason is a code when unavailable ("no_browser", "full"), Message
	// its explanation.
	Reason  string `json:"reason"`
	Message string `json:"message"`
	// Date is when this was measured, in milliseconds since the epoch.
	Date int64 `json:"date"`
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
	s.app.Use(requestid.New())
	if len(opts.Tokens) > 0 {
		s.app.Use(s.authorize)
	}
	s.app.Get("/healthz", func(c fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	s.app.Get("/readyz", s.ready)
	if opts.Metrics != nil {
		s.app.Get("/metrics", adaptor.HTTPHandler(opts.Metrics))
	}
	if opts.Pressure != nil {
		s.app.Get("/pressure", func(c fiber.Ctx) error { return c.JSON(fiber.Map{"pressure": opts.Pressure()}) })
	}
	s.app.Post("/v1/render", s.render)
	if opts.Programs != nil {
		s.app.Post("/v1/run", s.run)
	}
	s.registerCrawl() // before Cloudflare's /:action, which would take /crawl
	s.registerCloudflare()
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
	// Line and Column say where a script failed (script_error), from 1.
	Line   int `json:"line,omitempty"`
	Column int `json:"column,omitempty"`
}

func (s *Server) render(c fiber.Ctx) error {
	var req render.Request
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	res, err := s.renderRequest(c, &req)
	if err != nil {
		return err
	}
	return c.JSON(Envelope{Success: true, Result: res, Meta: &res.Meta, Errors: []Error{}})
}

// renderRequest is what every render route does around Renderer.Render:
// ?cacheTTL=N overrides the body's cacheTTL, the render is logged, and a
// success gets its X-Cache and X-Browser-Ms-Used headers.
func (s *Server) renderRequest(c fiber.Ctx, req *render.Request) (*render.Result, error) {
	if q := c.Query("cacheTTL"); q != "" {
		ttl, err := strconv.Atoi(q)
		if err != nil {
			return nil, fmt.Errorf("%w: the cacheTTL query parameter must be a whole number of seconds, not %q", render.ErrInvalidRequest, q)
		}
		req.CacheTTL = &ttl
	}
	start := time.Now()
	res, err := s.renderer.Render(c.Context(), req)
	s.logRender(c, req, res, err, time.Since(start))
	if err != nil {
		return nil, err
	}
	if res.Meta.Cache != "" {
		c.Set("X-Cache", res.Meta.Cache)
	}
	c.Set("X-Browser-Ms-Used", strconv.FormatInt(browserMs(&res.Meta), 10))
	return res, nil
}

// setRetryAfter tells a caller refused for load (429) or a browser being
// replaced (503) when to try again.
func (s *Server) setRetryAfter(c fiber.Ctx, status int) {
	if status == fiber.StatusTooManyRequests || status == fiber.StatusServiceUnavailable {
		secs := int(s.opts.RetryAfter().Round(time.Second) / time.Second)
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(max(1, secs)))
	}
}

// logRender writes the one line each render request gets.
func (s *Server) logRender(c fiber.Ctx, req *render.Request, res *render.Result, err error, d time.Duration) {
	status, engine, cache := fiber.StatusOK, "", ""
	if err != nil {
		status = statusOf(err)
	} else {
		engine, cache = res.Meta.Engine, res.Meta.Cache
	}
	target := hostOf(req.URL)
	if req.URL == "" {
		target = "(html)"
	}
	level := slog.LevelInfo
	if status >= fiber.StatusInternalServerError {
		level = slog.LevelWarn
	}
	s.opts.Logger.LogAttrs(c.Context(), level, "render",
		slog.String("id", requestid.FromContext(c)),
		slog.String("host", target),
		slog.Any("formats", req.Formats),
		slog.String("engine", engine),
		slog.String("cache", cache),
		slog.Int("status", status),
		slog.Int64("ms", d.Milliseconds()),
		slog.String("code", render.Code(err)),
	)
}

// browserMs is the browser time a reply cost, as Cloudflare's
// X-Browser-Ms-Used reports it: none when the cache or another request's
// render answered it, or when no browser made the page.
func browserMs(m *render.Meta) int64 {
	if m.Engine != render.EngineBrowser || m.Cache == render.CacheHit || m.Cache == render.CacheShared {
		return 0
	}
	return m.Timings.Fetch
}

func (s *Server) ready(c fiber.Ctx) error {
	if s.opts.Ready != nil && !s.opts.Ready() {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "message": "no browser is ready"})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// authorize lets a request through when it carries one of the tokens. The
// comparison takes the same time whatever the token, so timing tells an
// attacker nothing about how close a guess was.
func (s *Server) authorize(c fiber.Ctx) error {
	if c.Path() == "/healthz" {
		return c.Next()
	}
	// A browser's CORS preflight never carries credentials; the route
	// answers it (only /mcp grants origins), and the request that follows
	// must bring the token.
	if c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderOrigin) != "" && c.Get(fiber.HeaderAccessControlRequestMethod) != "" {
		return c.Next()
	}
	given, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if ok {
		match := 0
		for _, t := range s.opts.Tokens {
			match |= subtle.ConstantTimeCompare([]byte(strings.TrimSpace(given)), []byte(t))
		}
		if match == 1 {
			return c.Next()
		}
	}
	c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="sous"`)
	return fail(c, fiber.StatusUnauthorized, "unauthorized", "send Authorization: Bearer TOKEN with a token the operator gave you")
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
	case "script_error", "script_timeout", "script_memory", "script_output_too_large":
		// The caller's script failed, not the service: fix it, don't retry.
		return fiber.StatusUnprocessableEntity
	}
	return fiber.StatusInternalServerError
}

func (s *Server) handleError(c fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) { // fiber's own: no such route, body too large, …
		// Unmatched routes are answered here rather than by a final
		// catch-all route, so that routes added after New (such as /mcp)
		// are still reached.
		switch fe.Code {
		case fiber.StatusNotFound, fiber.StatusMethodNotAllowed:
			return fail(c, fe.Code, "not_found", fmt.Sprintf("no route %s %s; see POST /v1/render", c.Method(), c.Path()))
		case fiber.StatusRequestEntityTooLarge:
			return fail(c, fe.Code, "too_large", fe.Message)
		}
		return fail(c, fe.Code, "invalid_request", fe.Message)
	}
	status := statusOf(err)
	s.setRetryAfter(c, status)
	if status == fiber.StatusInternalServerError {
		s.opts.Logger.Error("request failed", "path", c.Path(), "err", err)
	}
	return c.Status(status).JSON(Envelope{Errors: []Error{errorOf(err)}})
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
