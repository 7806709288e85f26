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
		if !errors.As(err, &blocked) || blocked.Rule != "loopback" || strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("err = %v, want a loopback BlockedError that does not echo the address", err)
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
