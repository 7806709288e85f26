package browserpool

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"

	"github.com/sous-dev/sous/render"
)

// checkPublic refuses a document URL whose host is, or resolves to, an
// address that is not public. It is the first line of the network guard: it
// checks the document a caller names, before the browser sees it.
func checkPublic(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %v", render.ErrInvalidRequest, err)
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		if err != nil {
			return fmt.Errorf("%w: resolve %s: %v", render.ErrNavigation, host, err)
		}
		addrs = ips
	}
	for _, a := range addrs {
		if rule := privateRule(a); rule != "" {
			return fmt.Errorf("%w: %s resolves to a %s address; pages may only load from public addresses (the operator can pass --allow-private)", render.ErrBlocked, host, rule)
		}
	}
	return nil
}

// privateRule names the class of a non-public address, or returns "".
func privateRule(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return "loopback"
	case a.IsPrivate():
		return "private"
	case a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast():
		return "link-local"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	case netip.MustParsePrefix("100.64.0.0/10").Contains(a):
		return "shared (CGNAT)"
	case netip.MustParsePrefix("0.0.0.0/8").Contains(a):
		return "this-network"
	case a == netip.MustParseAddr("255.255.255.255"):
		return "broadcast"
	}
	return ""
}
