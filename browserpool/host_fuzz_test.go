package browserpool

import (
	"context"
	"encoding/json"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

// FuzzGuardAgreesWithChromiumOnHosts checks that the guard and Chromium
// read the same host from a URL. For every URL the service accepts, the
// host the guard judges (netguard.CanonicalHost of Go's parse) must be the
// address Chromium's own URL parser (new URL) says it will connect to,
// whenever Chromium says it is an IP address: otherwise the document check
// would judge one host while the browser connects to another. The seeds are
// the odd spellings attackers use; `go test -fuzz FuzzGuardAgrees
// ./browserpool` explores further, with Chromium answering each input.
func FuzzGuardAgreesWithChromiumOnHosts(f *testing.F) {
	for _, host := range []string{
		"127.0.0.1", "2130706433", "0x7f000001", "017700000001", "0x7f.0x0.0x0.0x1", "0177.00.0.01",
		"0x7f.1", "127.1", "127.0.1", "127.0.0.1.", "%31%32%37.0.0.1", "１２７.０.０.１", "0X7F.0.0.1",
		"[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::127.0.0.1]", "[0:0:0:0:0:ffff:7f00:1]", "[::1]",
		"169.254.169.254", "0xa9fea9fe", "0251.0376.0251.0376", "10.1", "0", "0x", "0.0.0.0",
		"example.com", "EXAMPLE.com.", "xn--bcher-kva.example", "bücher.example", "a.0x", "1.2.3.4.5",
		"1.2.3.256", "999999999999", "0x100000000", "127.0.0.1%09", "127.0.0.1:80@example.com",
		"example.com\\@127.0.0.1", "127.0.0.1\t", "exa\tmple.com", "ａ.example", "127。0。0。1",
	} {
		f.Add("http://" + host + "/")
	}
	f.Add("https://user@127.0.0.1/")
	f.Add("http:127.0.0.1/")
	f.Add("http:/127.0.0.1/")
	f.Add("http:\\\\127.0.0.1\\")
	f.Add("HTTP://0x7F.1/")

	p, err := New(context.Background(), Options{Tabs: 1, AllowPrivate: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.Close() })
	ctx := context.Background()
	t, err := p.lease(ctx)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { p.release(t, false) })

	f.Fuzz(func(tt *testing.T, raw string) {
		if render.ValidateURL(raw) != nil {
			return // the service refuses it before the guard or Chromium see it
		}
		u, err := url.Parse(raw)
		if err != nil {
			tt.Fatalf("ValidateURL accepted %q, which does not parse: %v", raw, err)
		}
		arg, _ := json.Marshal(raw)
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		out, err := t.eval(ectx, `(() => { try { const u = new URL(`+string(arg)+`); return [u.protocol, u.hostname]; } catch (e) { return null; } })()`)
		if err != nil {
			tt.Fatalf("evaluating new URL: %v", err)
		}
		var parsed []string
		if err := json.Unmarshal(out, &parsed); err != nil || len(parsed) != 2 {
			return // Chromium refuses the URL: it will not load it
		}
		if parsed[0] != "http:" && parsed[0] != "https:" {
			tt.Fatalf("%q: the service takes it for http(s), Chromium for %s", raw, parsed[0])
		}
		chromium, ours := parsed[1], netguard.CanonicalHost(u.Hostname())
		chromeAddr, chromeIP := netip.ParseAddr(strings.Trim(chromium, "[]"))
		ourAddr, ourIP := netip.ParseAddr(ours)
		switch {
		case chromeIP == nil && ourIP == nil && chromeAddr != ourAddr:
			tt.Errorf("%q: Chromium connects to %s, the guard judges %s", raw, chromeAddr, ourAddr)
		case chromeIP == nil && ourIP != nil:
			tt.Errorf("%q: Chromium connects to the address %s, the guard judges the name %q", raw, chromeAddr, ours)
		case chromeIP != nil && ourIP == nil:
			tt.Errorf("%q: Chromium looks up the name %q, the guard judges the address %s", raw, chromium, ourAddr)
		}
	})
}

// originOf answers "" for what does not parse, as Chromium may send it
// (a data: URL with a bad escape), rather than fail.
func TestOriginOfUnparsable(t *testing.T) {
	for _, u := range []string{"data:text/html,%zz", "http://[::1", "%", ""} {
		if got := originOf(u); got != "" {
			t.Errorf("originOf(%q) = %q, want none", u, got)
		}
	}
	if got := originOf("HTTP://Example.COM:80/x"); got != "http://example.com" {
		t.Errorf("originOf = %q", got)
	}
}
