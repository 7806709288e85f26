package mcpbridge

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// HandlerOptions configure the streamable HTTP endpoint. Zero values mean the
// documented defaults.
type HandlerOptions struct {
	// AllowedOrigins are origins ("https://app.example.com") whose web pages
	// may call the endpoint from a browser, besides the endpoint's own. They
	// get CORS headers. Requests without an Origin header (agents, curl)
	// are not affected.
	AllowedOrigins []string
	// MaxBodyBytes bounds a request body; default 10 MiB, enough for the
	// largest html argument a render takes.
	MaxBodyBytes int64
	// Logger receives the transport's own errors; default: discarded.
	Logger *slog.Logger
	// Stateful gives each client an MCP session (the Mcp-Session-Id
	// header), which the browser_* tools need to keep one browser per
	// client between calls; SessionTimeout ends one idle that long
	// (default 30 minutes). Without it every request stands alone.
	Stateful       bool
	SessionTimeout time.Duration
}

// NewHandler returns an http.Handler serving s over MCP's streamable HTTP
// transport, checked against two attacks on a local server:
//
//   - Cross-origin requests: a web page the user visits may post to the
//     endpoint from their browser. Such requests are refused unless their
//     Origin is the endpoint's own or in AllowedOrigins
//     (http.CrossOriginProtection: Sec-Fetch-Site, then Origin against Host).
//   - DNS rebinding: a hostile name that resolves to 127.0.0.1 makes even
//     the Origin look same-origin. So a request that arrives on a loopback
//     address must name a loopback Host (localhost, 127.0.0.1, [::1]).
//     The connection's address comes from the request context
//     (http.LocalAddrContextKey, which net/http sets); a request without it
//     is treated as arriving on loopback.
//
// The transport is stateless unless Stateful is set: every request stands
// alone, so nodes behind a load balancer need no session affinity. Tool calls still stream progress
// notifications on their own response.
func NewHandler(s *mcp.Server, opts *HandlerOptions) (http.Handler, error) {
	if s == nil {
		return nil, errors.New("mcpbridge: NewHandler needs a server")
	}
	var o HandlerOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxBodyBytes < 0 {
		return nil, fmt.Errorf("mcpbridge: HandlerOptions.MaxBodyBytes is negative (%d)", o.MaxBodyBytes)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 10 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	cross := http.NewCrossOriginProtection()
	origins := make(map[string]bool)
	for _, origin := range o.AllowedOrigins {
		if err := cross.AddTrustedOrigin(origin); err != nil {
			return nil, fmt.Errorf("mcpbridge: allowed origin: %w", err)
		}
		origins[origin] = true
	}
	cross.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, fmt.Sprintf("Forbidden: a web page of %s may not call this MCP endpoint; its operator can allow that origin", r.Header.Get("Origin")), http.StatusForbidden)
	}))
	if o.SessionTimeout <= 0 {
		o.SessionTimeout = 30 * time.Minute
	}
	streamOpts := &mcp.StreamableHTTPOptions{
		Stateless:           !o.Stateful,
		Logger:              o.Logger,
		MaxRequestBodyBytes: o.MaxBodyBytes,
	}
	if o.Stateful {
		streamOpts.SessionTimeout = o.SessionTimeout
	}
	streamable := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, streamOpts)
	return &handler{next: cross.Handler(streamable), origins: origins}, nil
}

type handler struct {
	next    http.Handler    // the transport behind cross-origin protection
	origins map[string]bool // AllowedOrigins, for CORS
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if onLoopback(r) && !isLoopbackHost(r.Host) {
		http.Error(w, fmt.Sprintf("Forbidden: Host %q is not a loopback name, on a loopback connection (DNS rebinding?); use localhost or 127.0.0.1", r.Host), http.StatusForbidden)
		return
	}
	if origin := r.Header.Get("Origin"); h.origins[origin] {
		hdr := w.Header()
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Add("Vary", "Origin")
		hdr.Set("Access-Control-Expose-Headers", "Mcp-Session-Id")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			hdr.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
			if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
				hdr.Set("Access-Control-Allow-Headers", asked)
			}
			hdr.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	h.next.ServeHTTP(w, r)
}

// onLoopback reports whether r arrived on a loopback address, or on one it
// cannot tell.
func onLoopback(r *http.Request) bool {
	local, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if !ok || local == nil {
		return true
	}
	ap, err := netip.ParseAddrPort(local.String())
	return err != nil || ap.Addr().Unmap().IsLoopback()
}

// isLoopbackHost reports whether a Host header names this machine in a way
// no DNS answer can change: localhost, a name under .localhost, or a
// loopback address.
func isLoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
