package browserpool

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

// networkGuard keeps page traffic off addresses the operator has not
// allowed. Every request a page makes goes through a netguard.Proxy, which
// resolves the name, checks each address and connects to the address it
// checked; the document URL is also checked before navigation, for a clear
// error. With AllowPrivate and nothing denied, there is no proxy at all.
type networkGuard struct {
	guard *netguard.Guard
	proxy *netguard.Proxy
	// signer signs each request that goes out (nil: none is signed).
	signer RequestSigner
}

func newNetworkGuard(allowPrivate bool, allow []netip.Prefix, deny []netip.AddrPort) (*networkGuard, error) {
	if allowPrivate && len(deny) == 0 {
		return &networkGuard{}, nil
	}
	g, err := netguard.New(netguard.Options{AllowPrivate: allowPrivate, Allow: allow, Deny: deny})
	if err != nil {
		return nil, err
	}
	proxy, err := netguard.StartProxy(g)
	if err != nil {
		return nil, fmt.Errorf("start network guard: %w", err)
	}
	return &networkGuard{guard: g, proxy: proxy}, nil
}

// flags route Chromium's traffic through the guard.
func (n *networkGuard) flags() []string {
	if n.proxy == nil {
		return nil
	}
	return n.proxy.Flags()
}

func (n *networkGuard) close() {
	if n.proxy != nil {
		n.proxy.Close()
	}
}

// checkDocument refuses a document URL whose host the guard would refuse.
func (n *networkGuard) checkDocument(ctx context.Context, rawURL string) error {
	if n.guard == nil {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %v", render.ErrInvalidRequest, err)
	}
	port := map[string]uint16{"http": 80, "https": 443}[u.Scheme]
	if p := u.Port(); p != "" {
		n, err := strconv.ParseUint(p, 10, 16)
		if err != nil {
			return fmt.Errorf("%w: bad port %q", render.ErrInvalidRequest, p)
		}
		port = uint16(n)
	}
	// The host as Chromium will read it: 0x7f.1 is 127.0.0.1 to a browser.
	err = n.guard.CheckHost(ctx, netguard.CanonicalHost(u.Hostname()), port)
	var blocked *netguard.BlockedError
	switch {
	case errors.As(err, &blocked):
		return render.Blocked(u.Hostname(), blocked.Rule)
	case err != nil:
		return fmt.Errorf("%w: resolve %s: %v", render.ErrNavigation, u.Hostname(), err)
	}
	return nil
}

// explain turns a failed navigation to rawURL into ErrBlocked when the guard
// refused its host, or into ErrNavigation saying why the network did not
// answer (Chromium only reports a failed proxy tunnel or an empty reply).
func (n *networkGuard) explain(rawURL, errorText string) error {
	if n.proxy == nil {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil
	}
	host := netguard.CanonicalHost(u.Hostname())
	if rule, ok := n.proxy.Blocked(host); ok && strings.Contains(errorText, "TUNNEL_CONNECTION_FAILED") {
		return render.Blocked(u.Hostname(), rule)
	}
	if reason, ok := n.proxy.Unreachable(host); ok {
		return fmt.Errorf("%w: %s: %s", render.ErrNavigation, rawURL, reason)
	}
	return nil
}
