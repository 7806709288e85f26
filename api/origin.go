package api

import (
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Web pages the user of this machine visits can send requests to the API
// from their browser. checkOrigin refuses the two ways that could make such
// a page a client of Sous, on every route:
//
//   - Cross-origin requests: a POST from another origin (Sec-Fetch-Site
//     cross-site, or an Origin that is neither the API's own nor in
//     Options.AllowOrigins) is refused with 403 (http.CrossOriginProtection).
//     A browser request must also send its JSON as application/json, which
//     a page of another origin cannot do without a CORS preflight, and
//     preflights are granted only to Options.AllowOrigins. Requests that no
//     browser made (curl, agents, the Go client) carry no Origin and are
//     not affected, whatever their Content-Type (curl -d says it is a form).
//   - DNS rebinding: a hostile name that resolves to 127.0.0.1 makes even
//     the Origin look same-origin. A request that arrives on a loopback
//     address must therefore name a loopback Host (localhost, 127.0.0.1,
//     [::1]).
//
// An AllowOrigins entry that is not an origin (scheme://host[:port]) is
// logged and left out; the command line checks them with CheckOrigin.
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	cross := http.NewCrossOriginProtection()
	allowed := map[string]bool{}
	for _, origin := range s.opts.AllowOrigins {
		if err := cross.AddTrustedOrigin(origin); err != nil {
			s.opts.Logger.Error("an allowed origin is not an origin; left out", "origin", origin, "err", err)
			continue
		}
		allowed[origin] = true
	}
	cross.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fail(w, http.StatusForbidden, "cross_origin", fmt.Sprintf("a web page of %s may not call this service; its operator can allow that origin with --allow-origin", originOf(r)))
	}))
	protected := cross.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fromBrowser(r) && r.Method == http.MethodPost && r.URL.Path != "/mcp" && !isJSON(r.Header.Get("Content-Type")) {
			fail(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "a request from a web browser must send its body as Content-Type: application/json")
			return
		}
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if onLoopback(r) && !isLoopbackHost(r.Host) {
			fail(w, http.StatusForbidden, "bad_host", fmt.Sprintf("Host %q is not a loopback name, on a loopback connection (DNS rebinding?); use localhost or 127.0.0.1", r.Host))
			return
		}
		origin := r.Header.Get("Origin")
		if allowed[origin] {
			if preflight(w, r, origin) {
				return
			}
		}
		protected.ServeHTTP(w, r)
	})
}

// CheckOrigin reports whether origin is one that Options.AllowOrigins
// takes: scheme://host[:port], nothing more.
func CheckOrigin(origin string) error {
	return http.NewCrossOriginProtection().AddTrustedOrigin(origin)
}

// preflight adds CORS headers for an allowed origin, and answers its
// preflight request, which it reports.
func preflight(w http.ResponseWriter, r *http.Request, origin string) bool {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Add("Vary", "Origin")
	h.Set("Access-Control-Expose-Headers", "Mcp-Session-Id, X-Cache, X-Request-ID, Retry-After")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE")
	if asked := r.Header.Get("Access-Control-Request-Headers"); asked != "" {
		h.Set("Access-Control-Allow-Headers", asked)
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}

// fromBrowser reports whether a browser sent r: browsers send Origin with
// every POST, and Sec-Fetch-Site with every request; other clients neither.
func fromBrowser(r *http.Request) bool {
	return r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != ""
}

func isJSON(contentType string) bool {
	media, _, err := mime.ParseMediaType(contentType)
	return err == nil && (media == "application/json" || strings.HasSuffix(media, "+json"))
}

func originOf(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" {
		return o
	}
	return "another site"
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

// fail writes an error of the transport itself, one no render sentinel
// names (a refused origin or host, a method a route does not take).
func fail(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, Envelope{Errors: []Error{{Code: code, Message: message}}})
}
