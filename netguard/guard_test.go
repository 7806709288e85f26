package netguard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
)

func TestRule(t *testing.T) {
	tests := []struct {
		addr string
		want string // "" means public
	}{
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"93.184.215.14", ""},
		{"2606:4700:4700::1111", ""},
		{"2001:4860:4860::8888", ""},
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"172.32.0.1", ""},
		{"192.168.1.1", "private"},
		{"169.254.169.254", "link-local"}, // cloud metadata
		{"169.254.170.2", "link-local"},   // ECS task metadata
		{"100.64.0.1", "shared (CGNAT)"},
		{"100.127.255.255", "shared (CGNAT)"},
		{"100.128.0.1", ""},
		{"0.0.0.0", "this-network"},
		{"0.1.2.3", "this-network"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"255.255.255.255", "broadcast"},
		{"240.0.0.1", "reserved"},
		{"192.0.0.170", "IETF protocol assignment"},
		{"198.18.0.1", "benchmarking"},
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"fc00::1", "private"},
		{"fd12:3456:789a::1", "private"},
		{"fe80::1", "link-local"},
		{"fec0::1", "site-local"},
		{"ff02::1", "multicast"},
		{"::ffff:127.0.0.1", "loopback"},         // IPv4-mapped
		{"::ffff:169.254.169.254", "link-local"}, // IPv4-mapped metadata
		{"::ffff:8.8.8.8", ""},                   // IPv4-mapped public
		{"::127.0.0.1", "loopback (IPv4-compatible)"},
		{"::10.0.0.1", "private (IPv4-compatible)"},
		{"64:ff9b::7f00:1", "loopback (NAT64)"},
		{"64:ff9b::a9fe:a9fe", "link-local (NAT64)"},
		{"64:ff9b::808:808", ""},
		{"64:ff9b:1::a00:1", "private (NAT64)"},
		{"2002:7f00:1::", "loopback (6to4)"},
		{"2002:a9fe:a9fe::1", "link-local (6to4)"},
		{"2002:808:808::1", ""},
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback (Teredo)"}, // client 127.0.0.1, inverted
		{"2001:db8::1", "documentation"},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			if got := Rule(netip.MustParseAddr(tc.addr)); got != tc.want {
				t.Errorf("Rule(%s) = %q, want %q", tc.addr, got, tc.want)
			}
		})
	}
}

// fakeResolver answers each lookup with the next of its answers, the way a
// rebinding DNS server answers public first and loopback second.
type fakeResolver struct{ answers [][]netip.Addr }

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if len(f.answers) == 0 {
		return nil, fmt.Errorf("no answer for %s", host)
	}
	a := f.answers[0]
	f.answers = f.answers[1:]
	return a, nil
}

func TestDialChecksWhatItConnectsTo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	loopback := []netip.Addr{netip.MustParseAddr("127.0.0.1")}

	t.Run("rebinding to loopback is refused", func(t *testing.T) {
		g, _ := New(Options{Resolver: &fakeResolver{answers: [][]netip.Addr{loopback}}})
		_, err := g.DialContext(context.Background(), "tcp", fmt.Sprintf("rebind.example:%d", port))
		var blocked *BlockedError
		if !errors.As(err, &blocked) || blocked.Rule != RuleNotPublic || strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("err = %v, want a non-public BlockedError that does not echo the address", err)
		}
	})
	t.Run("a mixed answer is refused", func(t *testing.T) {
		g, _ := New(Options{Resolver: &fakeResolver{answers: [][]netip.Addr{{netip.MustParseAddr("8.8.8.8"), netip.MustParseAddr("10.0.0.1")}}}})
		if _, err := g.DialContext(context.Background(), "tcp", "mixed.example:80"); !errors.Is(err, ErrBlocked) {
			t.Errorf("err = %v, want ErrBlocked", err)
		}
	})
	t.Run("allowed prefix connects to the checked address", func(t *testing.T) {
		g, _ := New(Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, Resolver: &fakeResolver{answers: [][]netip.Addr{loopback}}})
		c, err := g.DialContext(context.Background(), "tcp", fmt.Sprintf("allowed.example:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		if got := c.RemoteAddr().String(); got != fmt.Sprintf("127.0.0.1:%d", port) {
			t.Errorf("connected to %s", got)
		}
		c.Close()
	})
	t.Run("the service's own port stays refused", func(t *testing.T) {
		g, _ := New(Options{AllowPrivate: true, Deny: []netip.AddrPort{netip.MustParseAddrPort(fmt.Sprintf("0.0.0.0:%d", port))}})
		if _, err := g.DialContext(context.Background(), "tcp", fmt.Sprintf("127.0.0.1:%d", port)); !errors.Is(err, ErrBlocked) {
			t.Errorf("err = %v, want ErrBlocked", err)
		}
	})
}

// The service's own port is refused on every address of this machine,
// whatever address it listens on: a page must not reach
// http://<LAN address>:PORT/metrics because the service listens on 0.0.0.0,
// nor its loopback port because it listens on the LAN address.
func TestOwnPortOnEveryLocalAddress(t *testing.T) {
	var local []netip.Addr
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, ia := range addrs {
		if p, err := netip.ParsePrefix(ia.String()); err == nil && !p.Addr().IsLoopback() && !p.Addr().IsLinkLocalUnicast() {
			local = append(local, p.Addr())
		}
	}
	if len(local) == 0 {
		t.Skip("this machine has no address but loopback")
	}
	const port = 18080
	for _, listen := range []string{"0.0.0.0", "::", "127.0.0.1", local[0].String()} {
		g, _ := New(Options{AllowPrivate: true, Deny: []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr(listen), port)}})
		for _, a := range append([]netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1"), netip.MustParseAddr("0.0.0.0")}, local...) {
			if err := g.Check(a.String(), a, port); !errors.Is(err, ErrBlocked) {
				t.Errorf("listening on %s: %s:%d allowed (%v)", listen, a, port, err)
			}
			if err := g.Check(a.String(), a, port+1); err != nil {
				t.Errorf("listening on %s: another port of %s refused: %v", listen, a, err)
			}
		}
		if err := g.Check("example.com", netip.MustParseAddr("93.184.215.14"), port); err != nil {
			t.Errorf("a public address on the same port refused: %v", err)
		}
	}
}

// namedResolver answers names from a table; others do not exist.
type namedResolver map[string][]netip.Addr

func (r namedResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, Server: "10.0.0.2:53", IsNotFound: true}
}

// A caller learns neither the machine's resolver nor which internal names
// exist: a name that resolves to a private address and one that does not
// resolve are refused with the same words, and no error carries an
// address a name resolved to.
func TestErrorsHideInternalNames(t *testing.T) {
	resolver := namedResolver{
		"intranet.corp": {netip.MustParseAddr("10.1.2.3")},
		"refused.test":  {netip.MustParseAddr("127.0.0.1")},
	}
	g, _ := New(Options{Resolver: resolver})
	ctx := context.Background()
	_, existing := g.DialContext(ctx, "tcp", "intranet.corp:80")
	_, missing := g.DialContext(ctx, "tcp", "nothing.corp:80")
	if !errors.Is(existing, ErrBlocked) || !errors.Is(missing, ErrBlocked) {
		t.Fatalf("errors %v and %v; want both blocked", existing, missing)
	}
	if a, b := strings.ReplaceAll(existing.Error(), "intranet", "X"), strings.ReplaceAll(missing.Error(), "nothing", "X"); a != b {
		t.Errorf("an existing and a missing internal name tell apart:\n%s\n%s", existing, missing)
	}

	// With AllowPrivate there is nothing to hide, but still no resolver.
	open, _ := New(Options{AllowPrivate: true, Resolver: resolver})
	_, missing = open.DialContext(ctx, "tcp", "nothing.corp:80")
	if !errors.Is(missing, ErrUnreachable) || missing.Error() != "look up nothing.corp: no such host" {
		t.Errorf("a missing name: %v", missing)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens there now
	_, refused := open.DialContext(ctx, "tcp", fmt.Sprintf("refused.test:%d", port))
	if want := fmt.Sprintf("connect to refused.test:%d: connection refused", port); !errors.Is(refused, ErrUnreachable) || refused.Error() != want {
		t.Errorf("a refused connection: %v, want %q", refused, want)
	}
	for _, err := range []error{existing, missing, refused} {
		if s := err.Error(); strings.Contains(s, "10.") || strings.Contains(s, "127.0.0.1") || strings.Contains(s, ":53") {
			t.Errorf("%q names an internal address", s)
		}
	}
}

func TestProxy(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s", r.URL.Path)
	}))
	defer backend.Close()
	allowed, _ := New(Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	denied, _ := New(Options{})
	for _, tc := range []struct {
		name       string
		guard      *Guard
		wantStatus int
		wantBody   string
	}{
		{"allowed", allowed, 200, "hello from /x"},
		{"blocked", denied, 403, "loopback"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := StartProxy(tc.guard)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			proxyURL, _ := url.Parse("http://" + p.listener.Addr().String())
			client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
			resp, err := client.Get(backend.URL + "/x")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantStatus || !strings.Contains(string(body), tc.wantBody) {
				t.Errorf("forward: %d %q", resp.StatusCode, body)
			}
			if tc.wantStatus == 403 && resp.Header.Get(BlockedHeader) != "loopback" {
				t.Errorf("%s = %q", BlockedHeader, resp.Header.Get(BlockedHeader))
			}

			// CONNECT, as Chromium does for https and WebSocket.
			conn, err := net.Dial("tcp", p.listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			host := strings.TrimPrefix(backend.URL, "http://")
			fmt.Fprintf(conn, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", host, host)
			br := bufio.NewReader(conn)
			cr, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if cr.StatusCode != tc.wantStatus {
				t.Fatalf("CONNECT: %d", cr.StatusCode)
			}
			if tc.wantStatus != 200 {
				return
			}
			fmt.Fprintf(conn, "GET /tunnel HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", host)
			tr, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ = io.ReadAll(tr.Body)
			if string(body) != "hello from /tunnel" {
				t.Errorf("through the tunnel: %q", body)
			}
		})
	}
}

// Where the network, not the guard, refuses, the proxy answers nothing at
// all, so the browser fails the request as it would without a proxy,
// and records why for the error report.
func TestProxyUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	g, _ := New(Options{AllowPrivate: true})
	p, err := StartProxy(g)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	proxyURL, _ := url.Parse("http://" + p.listener.Addr().String())
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	resp, err := client.Get("http://" + dead + "/page")
	if err == nil {
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Errorf("forward to a closed port answered %d %q; want no response", resp.StatusCode, body)
	}
	if reason, ok := p.Unreachable("127.0.0.1"); !ok || reason != "connection refused" {
		t.Errorf("Unreachable = %q, %v", reason, ok)
	}
	httpsClient := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	if resp, err := httpsClient.Get("https://" + dead + "/page"); err == nil {
		resp.Body.Close()
		t.Errorf("CONNECT to a closed port answered %d", resp.StatusCode)
	}
}

func FuzzRule(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::ffff:10.0.0.1", "2002:7f00:1::", "64:ff9b::a9fe:a9fe", "8.8.8.8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return
		}
		// An address and its IPv4-mapped form must get the same verdict.
		if a.Is4() {
			mapped := netip.AddrFrom16(a.As16())
			if (Rule(a) == "") != (Rule(mapped) == "") {
				t.Errorf("%s and %s disagree: %q vs %q", a, mapped, Rule(a), Rule(mapped))
			}
		}
	})
}
