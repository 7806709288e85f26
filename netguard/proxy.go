package netguard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// BlockedHeader marks a response the proxy made up because the guard refused
// the connection; its value is the rule.
const BlockedHeader = "X-Sous-Blocked"

// Proxy is an HTTP proxy on a loopback port that connects only where its
// Guard allows. Chromium started with Flags sends all page traffic through
// it: CONNECT tunnels for https and WebSocket, forwarded requests for http.
type Proxy struct {
	guard     *Guard
	listener  net.Listener
	server    *http.Server
	transport *http.Transport

	mu      sync.Mutex
	tunnels map[net.Conn]struct{}
	closed  bool
	blocked map[string]string // host → rule of recent refusals, for error reports
	failed  map[string]string // host → why it could not be reached, recently
	wg      sync.WaitGroup
}

// maxBlockedRecords bounds the memory of recent refusals.
const maxBlockedRecords = 1024

// StartProxy serves a proxy for g on 127.0.0.1 at a random port.
func StartProxy(g *Guard) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{
		guard:    g,
		listener: ln,
		tunnels:  map[net.Conn]struct{}{},
		blocked:  map[string]string{},
		failed:   map[string]string{},
		transport: &http.Transport{
			DialContext:           g.DialContext,
			Proxy:                 nil,
			DisableCompression:    true, // pass the browser's Accept-Encoding and bodies through untouched
			MaxIdleConnsPerHost:   8,
			IdleConnTimeout:       30 * time.Second,
			ResponseHeaderTimeout: 60 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
		},
	}
	p.server = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Go(func() { p.server.Serve(ln) })
	return p, nil
}

// Flags are the Chromium flags that route every request through the proxy,
// loopback included (Chromium bypasses proxies for loopback by default).
func (p *Proxy) Flags() []string {
	return []string{"--proxy-server=http://" + p.listener.Addr().String(), "--proxy-bypass-list=<-loopback>"}
}

// Close stops the proxy and cuts every open tunnel.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.tunnels {
		c.Close()
	}
	p.mu.Unlock()
	err := p.server.Close()
	p.transport.CloseIdleConnections()
	p.wg.Wait()
	return err
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if !r.URL.IsAbs() || (r.URL.Scheme != "http" && r.URL.Scheme != "https") {
		http.Error(w, "this proxy only forwards absolute http URLs", http.StatusBadRequest)
		return
	}
	p.forward(w, r)
}

// Blocked reports the rule by which the proxy recently refused host, so a
// caller that sees only "tunnel connection failed" can say why.
func (p *Proxy) Blocked(host string) (rule string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rule, ok = p.blocked[strings.ToLower(host)]
	return rule, ok
}

// Unreachable reports why the proxy recently could not reach host
// ("connection refused", "no such host"), so a caller that sees only a
// failed tunnel or an empty response can say why.
func (p *Proxy) Unreachable(host string) (reason string, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	reason, ok = p.failed[strings.ToLower(host)]
	return reason, ok
}

// refuse answers a request the guard or the network refused. A refusal by
// the guard is a 403 marked with BlockedHeader. Any other failure is
// answered with no response at all: a page of the proxy's own would be
// served to the caller as the site's content, with success, so the browser
// must see the same network error it would have seen without a proxy.
func (p *Proxy) refuse(w http.ResponseWriter, host string, err error) {
	var blocked *BlockedError
	if errors.As(err, &blocked) {
		p.record(p.blocked, blocked.Host, blocked.Rule)
		w.Header().Set(BlockedHeader, blocked.Rule)
		http.Error(w, blocked.Error(), http.StatusForbidden)
		return
	}
	reason := "the connection failed"
	var unreachable *UnreachableError
	if errors.As(err, &unreachable) {
		reason = unreachable.Reason
	} else if errors.Is(err, context.DeadlineExceeded) {
		reason = "connection timed out"
	}
	if h, _, splitErr := net.SplitHostPort(host); splitErr == nil {
		host = h
	}
	p.record(p.failed, host, reason)
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	http.Error(w, "", http.StatusBadGateway) // no words that could pass for content
}

// reached forgets an earlier failure to reach hostport's host, which no
// longer explains anything.
func (p *Proxy) reached(hostport string) {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.failed, strings.ToLower(strings.Trim(host, "[]")))
}

func (p *Proxy) record(m map[string]string, host, value string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(m) >= maxBlockedRecords {
		clear(m)
	}
	m[strings.ToLower(strings.Trim(host, "[]"))] = value
}

func (p *Proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	upstream, err := p.guard.DialContext(ctx, "tcp", r.Host)
	cancel()
	if err != nil {
		p.refuse(w, r.Host, err)
		return
	}
	p.reached(r.Host)
	hj, ok := w.(http.Hijacker)
	if !ok {
		upstream.Close()
		http.Error(w, "proxy: cannot hijack", http.StatusInternalServerError)
		return
	}
	client, buffered, err := hj.Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	if !p.track(client, upstream) {
		return
	}
	defer p.untrack(client, upstream)
	if _, err := client.Write([]byte("HTTP/1.1 200 Connection Established\r\n\r\n")); err != nil {
		return
	}
	done := make(chan struct{}, 2)
	go func() {
		// Bytes the client sent after its CONNECT are already buffered.
		if n := buffered.Reader.Buffered(); n > 0 {
			head, _ := buffered.Reader.Peek(n)
			upstream.Write(head)
		}
		io.Copy(upstream, client)
		closeWrite(upstream)
		done <- struct{}{}
	}()
	go func() {
		io.Copy(client, upstream)
		closeWrite(client)
		done <- struct{}{}
	}()
	<-done
	<-done
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		tc.CloseWrite()
	} else {
		c.Close()
	}
}

func (p *Proxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range conns {
			c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.tunnels[c] = struct{}{}
	}
	return true
}

func (p *Proxy) untrack(conns ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		c.Close()
		delete(p.tunnels, c)
	}
}

// hopHeaders are meaningful only for one connection and are not forwarded.
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func (p *Proxy) forward(w http.ResponseWriter, r *http.Request) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	for _, h := range strings.Split(r.Header.Get("Connection"), ",") {
		out.Header.Del(strings.TrimSpace(h))
	}
	for _, h := range hopHeaders {
		out.Header.Del(h)
	}
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		p.refuse(w, out.URL.Host, err)
		return
	}
	p.reached(out.URL.Host)
	defer resp.Body.Close()
	for _, h := range strings.Split(resp.Header.Get("Connection"), ",") {
		resp.Header.Del(strings.TrimSpace(h))
	}
	for _, h := range hopHeaders {
		resp.Header.Del(h)
	}
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	rc := http.NewResponseController(w)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			rc.Flush()
		}
		if err != nil {
			return
		}
	}
}
