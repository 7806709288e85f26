// Package api is Sous's HTTP transport, on net/http: it decodes requests,
// calls a render.Service and encodes replies. It knows nothing about
// browsers; errors become status codes through one table (statusOf).
//
// A request's context is the render's context: when a client hangs up, the
// server cancels it, the render gives back its slot at once and, when no
// other caller shares it, stops.
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
//	/v1/sessions      interactive sessions (Options.Sessions): see session.go
//	GET  /healthz     200 while the process is alive
//	GET  /readyz      200 while a browser is ready (Options.Ready), else 503
//	GET  /metrics     Prometheus metrics (Options.Metrics)
//	GET  /pressure    load and limits as Browserless reports them (Options.Pressure)
//	GET  /.well-known/http-message-signatures-directory
//	                  the Web Bot Auth key directory sites read to check Sous's
//	                  signed requests (Options.KeyDirectory); no token needed
package api

import (
	"bytes"
	"context"
	"crypto/rand"
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

	// Ready says why the service cannot render now, for /readyz (the
	// error's text is the reply's message); nil means it always can.
	Ready func(context.Context) error
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
	// /healthz and the key directory requires (Authorization: Bearer TOKEN, Cloudflare's form).
	Tokens []string
	// Sessions runs interactive sessions (/v1/sessions, see session.go);
	// nil means those routes say sessions are not enabled.
	Sessions Sessions
	// Programs runs code-mode programs for POST /v1/run; nil means no such
	// route.
	Programs render.ProgramRunner
	// AllowOrigins are the origins ("https://app.example.com") whose web
	// pages may call the API from a browser; they get CORS headers. Any
	// other browser request from another origin is refused (see
	// checkOrigin). Clients that are not browsers are not affected.
	AllowOrigins []string
	// KeyDirectory serves the Web Bot Auth key directory, the public keys
	// that sign Sous's outgoing requests, at KeyDirectoryPath; nil means no
	// such route. Sites fetch it, so it needs no token.
	KeyDirectory http.Handler
}

// KeyDirectoryPath is where Options.KeyDirectory is served: the well-known
// path of an HTTP message signatures directory.
const KeyDirectoryPath = "/.well-known/http-message-signatures-directory"

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
	// Cluster is this node's part in a cluster; absent on a lone node.
	Cluster *ClusterPressure `json:"cluster,omitempty"`
	// PaymentBudgetLeft is the USD left to pay pay-per-crawl sites with;
	// absent when the service pays none.
	PaymentBudgetLeft *float64 `json:"paymentBudgetLeft,omitempty"`
}

// ClusterPressure is the cluster's part of /pressure: which node answered,
// whether it reaches the cluster, and what the cluster saved it.
type ClusterPressure struct {
	Node      string `json:"node"`
	Connected bool   `json:"connected"`
	// SharedHits and SharedMisses count this node's lookups in the shared
	// cache that were answered there and not; ClaimWaits the renders it
	// took from another node rather than render again.
	SharedHits   int64 `json:"sharedHits"`
	SharedMisses int64 `json:"sharedMisses"`
	ClaimWaits   int64 `json:"claimWaits"`
	// CrawlVisits are the pages of cluster crawls this node visited.
	CrawlVisits int64 `json:"crawlVisits"`
}

// Server serves the HTTP API.
type Server struct {
	renderer Renderer
	opts     Options
	mux      *http.ServeMux
	server   *http.Server
	// live ends when the server shuts down, and with it every live view's
	// stream, which would otherwise hold Shutdown up (see live.go).
	live     context.Context
	stopLive context.CancelFunc
}

// Timeouts of the connection, not of a render (a render has its own
// deadline, and the request's context ends when the client hangs up).
const (
	readHeaderTimeout = 10 * time.Second
	readBodyTimeout   = 30 * time.Second
	idleTimeout       = 2 * time.Minute
)

// DefaultBodyLimit is the largest request body when Options.BodyLimit is 0.
const DefaultBodyLimit = 10 << 20

// New returns a Server for r.
func New(r Renderer, opts Options) *Server {
	if opts.BodyLimit == 0 {
		opts.BodyLimit = DefaultBodyLimit
	}
	if opts.RetryAfter == nil {
		opts.RetryAfter = func() time.Duration { return time.Second }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{renderer: r, opts: opts, mux: http.NewServeMux()}
	s.live, s.stopLive = context.WithCancel(context.Background())
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.mux.HandleFunc("GET /readyz", s.ready)
	if opts.Metrics != nil {
		s.mux.Handle("GET /metrics", opts.Metrics)
	}
	if opts.Pressure != nil {
		s.mux.HandleFunc("GET /pressure", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusOK, map[string]Pressure{"pressure": opts.Pressure()})
		})
	}
	if opts.KeyDirectory != nil {
		s.mux.Handle("GET "+KeyDirectoryPath, opts.KeyDirectory)
	}
	s.handle("POST /v1/render", s.render)
	if opts.Programs != nil {
		s.handle("POST /v1/run", s.run)
	}
	s.registerCrawl()
	s.registerSessions()
	s.registerLive()
	s.registerCloudflare()
	// Every path no route takes, and every method a route does not answer.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allowed := s.methodsFor(r); len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			fail(w, http.StatusMethodNotAllowed, "method_not_allowed", fmt.Sprintf("%s %s is not a route; use %s", r.Method, r.URL.Path, strings.Join(allowed, " or ")))
			return
		}
		s.writeError(w, r, fmt.Errorf("%w: no route %s %s; see POST /v1/render", render.ErrNotFound, r.Method, r.URL.Path))
	})
	s.server = &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		// No ReadTimeout: net/http would cancel the request's context when
		// it passes, in the middle of a long render. decodeBody bounds the
		// body's read instead.
		IdleTimeout: idleTimeout,
		ErrorLog:    slog.NewLogLogger(opts.Logger.Handler(), slog.LevelDebug),
	}
	s.server.RegisterOnShutdown(s.stopLive)
	return s
}

// methodsFor returns the methods that have a route for r's path, other
// than the catch-all.
func (s *Server) methodsFor(r *http.Request) []string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allowed = append(allowed, m)
		}
	}
	return allowed
}

// Handle adds a route to the API, behind the same request ids and tokens
// as every other: pattern is a net/http ServeMux pattern ("POST /x",
// "/mcp").
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// Handler is the whole API as one http.Handler, for servers other than
// Serve's (tests, a TLS server).
func (s *Server) Handler() http.Handler {
	var h http.Handler = s.mux
	if len(s.opts.Tokens) > 0 {
		h = s.authorize(h)
	}
	return withRequestID(s.checkOrigin(h))
}

// Serve accepts connections on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.server.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting connections and waits for requests in flight, up
// to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error { return s.server.Shutdown(ctx) }

// handlerFunc is a route that returns its failure; handle writes it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle registers h for pattern, answering its errors through the one
// table of statuses.
func (s *Server) handle(pattern string, h handlerFunc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

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

func (s *Server) render(w http.ResponseWriter, r *http.Request) error {
	var req render.Request
	if err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	res, err := s.renderRequest(w, r, &req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Envelope{Success: true, Result: res, Meta: &res.Meta, Errors: []Error{}})
	return nil
}

// renderRequest is what every render route does around Renderer.Render:
// ?cacheTTL=N overrides the body's cacheTTL, the render is logged, and a
// success gets its X-Cache and X-Browser-Ms-Used headers.
func (s *Server) renderRequest(w http.ResponseWriter, r *http.Request, req *render.Request) (*render.Result, error) {
	if q := r.URL.Query().Get("cacheTTL"); q != "" {
		ttl, err := strconv.Atoi(q)
		if err != nil {
			return nil, fmt.Errorf("%w: the cacheTTL query parameter must be a whole number of seconds, not %q", render.ErrInvalidRequest, q)
		}
		req.CacheTTL = &ttl
	}
	start := time.Now()
	res, err := s.renderer.Render(r.Context(), req)
	s.logRender(r, req, res, err, time.Since(start))
	if err != nil {
		return nil, err
	}
	if res.Meta.Cache != "" {
		w.Header().Set("X-Cache", res.Meta.Cache)
	}
	w.Header().Set("X-Browser-Ms-Used", strconv.FormatInt(browserMs(&res.Meta), 10))
	return res, nil
}

// setRetryAfter tells a caller refused for load (429) or a browser being
// replaced (503) when to try again.
func (s *Server) setRetryAfter(w http.ResponseWriter, status int) {
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		secs := int(s.opts.RetryAfter().Round(time.Second) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
	}
}

// logRender writes the one line each render request gets.
func (s *Server) logRender(r *http.Request, req *render.Request, res *render.Result, err error, d time.Duration) {
	status, engine, cache := http.StatusOK, "", ""
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
	if status >= http.StatusInternalServerError {
		level = slog.LevelWarn
	}
	s.opts.Logger.LogAttrs(r.Context(), level, "render",
		slog.String("id", requestID(r.Context())),
		slog.String("host", target),
		slog.Any("formats", req.Formats),
		slog.String("engine", engine),
		slog.String("cache", cache),
		slog.Int("status", status),
		slog.Int64("ms", d.Milliseconds()),
		slog.String("code", string(render.CodeOf(err))),
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

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	if s.opts.Ready == nil {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
		return
	}
	if err := s.opts.Ready(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "message": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

// authorize lets a request through when it carries one of the tokens. The
// comparison takes the same time whatever the token, so timing tells an
// attacker nothing about how close a guess was.
func (s *Server) authorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" || (r.URL.Path == KeyDirectoryPath && s.opts.KeyDirectory != nil) {
			next.ServeHTTP(w, r)
			return
		}
		// A browser's CORS preflight never carries credentials; the route
		// answers it (only /mcp grants origins), and the request that
		// follows must bring the token.
		if r.Method == http.MethodOptions && r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
			next.ServeHTTP(w, r)
			return
		}
		given, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if ok {
			match := 0
			for _, t := range s.opts.Tokens {
				match |= subtle.ConstantTimeCompare([]byte(strings.TrimSpace(given)), []byte(t))
			}
			if match == 1 {
				next.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="sous"`)
		s.writeError(w, r, fmt.Errorf("%w: send Authorization: Bearer TOKEN with a token the operator gave you", render.ErrUnauthorized))
	})
}

// readBody reads the request body, up to Options.BodyLimit and within
// readBodyTimeout. A body announced as too large is refused before any of
// it is read.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > int64(s.opts.BodyLimit) {
		return nil, fmt.Errorf("%w: the body is %d bytes; the limit is %d", render.ErrTooLarge, r.ContentLength, s.opts.BodyLimit)
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(readBodyTimeout)) // not every writer can; then the header timeout is all
	defer rc.SetReadDeadline(time.Time{})
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(s.opts.BodyLimit)))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return nil, fmt.Errorf("%w: the body is over the limit of %d bytes", render.ErrTooLarge, tooLarge.Limit)
	case err != nil:
		return nil, fmt.Errorf("%w: reading the body: %v", render.ErrInvalidRequest, err)
	}
	return body, nil
}

// decodeJSON decodes the request body into v, refusing unknown fields so that
// a misspelt option is an error and not silently ignored. The body is read as
// JSON whatever its Content-Type says, since `curl -d` labels JSON as a form.
func (s *Server) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
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

// statusOf is the HTTP status of err, from render's one table of codes.
func statusOf(err error) int { return render.CodeOf(err).Status() }

// writeError answers a failed native route.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	s.setRetryAfter(w, status)
	if status == http.StatusInternalServerError {
		s.opts.Logger.Error("request failed", "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, Envelope{Meta: render.MetaOf(err), Errors: []Error{errorOf(err)}})
}

// writeJSON writes v as the reply's JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // only the domain's own types are written: a bug
		status = http.StatusInternalServerError
		b = []byte(`{"success":false,"errors":[{"code":"internal","message":"the reply could not be encoded"}]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
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

// requestIDKey is the context key of a request's id.
type requestIDKey struct{}

// withRequestID gives every request an id, in its context and in the
// X-Request-ID reply header, so that a caller can quote it and the log line
// of its render be found. A caller's own X-Request-ID is kept when it is
// short and printable.
func withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-ID", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// newRequestID is a random UUID (version 4).
func newRequestID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
