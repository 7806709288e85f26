// Package netguard decides which network addresses page traffic may reach,
// and enforces it where connections are made: a dialer that resolves a name,
// checks every address it resolves to, and connects to the address it
// checked, so DNS rebinding cannot slip a private address in between; and a
// local HTTP proxy that gives Chromium that dialer for every request a page
// makes (document, subresources, redirects, fetch, WebSocket, workers).
//
//	g, _ := netguard.New(netguard.Options{})         // public addresses only
//	proxy, _ := netguard.StartProxy(g)               // Chromium: --proxy-server=proxy.URL()
//	defer proxy.Close()
//	client := &http.Client{Transport: &http.Transport{DialContext: g.DialContext}}
//
// By default loopback, private (RFC 1918, fc00::/7), link-local (with the
// cloud metadata addresses), shared CGNAT, this-network, multicast, broadcast
// and reserved addresses are refused, including IPv6 forms that embed such an
// IPv4 address (mapped, compatible, NAT64, 6to4, Teredo).
package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
)

// ErrBlocked is wrapped by every refusal; BlockedError says which rule.
var ErrBlocked = errors.New("blocked by the network guard")

// BlockedError is a refused connection. Its message names the rule and the
// host as the page wrote it, never the internal address it resolved to.
type BlockedError struct {
	Host string
	Rule string
}

func (e *BlockedError) Error() string {
	return fmt.Sprintf("%s: %s is a %s address", ErrBlocked, e.Host, e.Rule)
}

func (e *BlockedError) Unwrap() error { return ErrBlocked }

// Options configure a Guard.
type Options struct {
	// AllowPrivate lets every address through (for local testing).
	AllowPrivate bool
	// Allow lists prefixes let through even though a rule would refuse them.
	Allow []netip.Prefix
	// Deny lists host:port addresses always refused, such as the service's
	// own listeners, so a page cannot call the API that rendered it.
	Deny []netip.AddrPort
	// Resolver looks names up; default net.DefaultResolver.
	Resolver interface {
		LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	}
}

// Guard checks and dials addresses. It is safe for concurrent use.
type Guard struct {
	opts   Options
	dialer net.Dialer
}

// New returns a Guard.
func New(opts Options) (*Guard, error) {
	for _, p := range opts.Allow {
		if !p.IsValid() {
			return nil, fmt.Errorf("netguard: invalid allow prefix %v", p)
		}
	}
	if opts.Resolver == nil {
		opts.Resolver = net.DefaultResolver
	}
	return &Guard{opts: opts}, nil
}

// Check returns a *BlockedError when a may not be reached on port.
func (g *Guard) Check(host string, a netip.Addr, port uint16) error {
	a = a.Unmap()
	if slices.Contains(g.opts.Deny, netip.AddrPortFrom(a, port)) ||
		(a.IsLoopback() || a.IsUnspecified()) && slices.ContainsFunc(g.opts.Deny, func(d netip.AddrPort) bool {
			return d.Port() == port && (d.Addr().IsLoopback() || d.Addr().IsUnspecified())
		}) {
		return &BlockedError{Host: host, Rule: "this service's own"}
	}
	if g.opts.AllowPrivate || slices.ContainsFunc(g.opts.Allow, func(p netip.Prefix) bool { return p.Contains(a) }) {
		return nil
	}
	if rule := Rule(a); rule != "" {
		return &BlockedError{Host: host, Rule: rule}
	}
	return nil
}

// CheckHost resolves host and checks every address it names, as
// DialContext does before it connects.
func (g *Guard) CheckHost(ctx context.Context, host string, port uint16) error {
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if err := g.Check(host, a, port); err != nil {
			return err
		}
	}
	return nil
}

// DialContext resolves address, checks every address the name resolves to,
// and connects to the first one that answers, never to one it did not check.
// It has the signature of net.Dialer.DialContext.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("netguard: bad port in %q", address)
	}
	addrs, err := g.resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	// One refused address refuses the name: a resolver that mixes public and
	// private answers is what a rebinding attack looks like. The addresses
	// dialled below are these checked ones; the name is not resolved again.
	for _, a := range addrs {
		if err := g.Check(host, a, uint16(port)); err != nil {
			return nil, err
		}
	}
	var firstErr error
	for _, a := range addrs {
		conn, err := g.dialer.DialContext(ctx, network, netip.AddrPortFrom(a, uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return nil, firstErr
}

func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := g.opts.Resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("netguard: %s has no address", host)
	}
	return addrs, nil
}

// Special-purpose IPv4 ranges (IANA registry) that no page may reach.
var v4Rules = []struct {
	prefix netip.Prefix
	rule   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (CGNAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("192.88.99.0/24"), "6to4 relay"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
}

// IPv6 ranges, and those that embed an IPv4 address to check in turn.
var (
	v6Rules = []struct {
		prefix netip.Prefix
		rule   string
	}{
		{netip.MustParsePrefix("::/128"), "unspecified"},
		{netip.MustParsePrefix("::1/128"), "loopback"},
		{netip.MustParsePrefix("fc00::/7"), "private"},
		{netip.MustParsePrefix("fe80::/10"), "link-local"},
		{netip.MustParsePrefix("fec0::/10"), "site-local"},
		{netip.MustParsePrefix("ff00::/8"), "multicast"},
		{netip.MustParsePrefix("100::/64"), "discard"},
		{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
		{netip.MustParsePrefix("2001:10::/28"), "ORCHID"},
	}
	v4Compatible = netip.MustParsePrefix("::/96")
	nat64        = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local   = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour    = netip.MustParsePrefix("2002::/16")
	teredo       = netip.MustParsePrefix("2001::/32")
)

// Rule names the class of an address no page may reach, or returns "" for
// a public address.
func Rule(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		if a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) {
			return "broadcast"
		}
		for _, r := range v4Rules {
			if r.prefix.Contains(a) {
				return r.rule
			}
		}
		return ""
	}
	for _, r := range v6Rules {
		if r.prefix.Contains(a) {
			return r.rule
		}
	}
	b := a.As16()
	embedded := func(v4 [4]byte, form string) string {
		if rule := Rule(netip.AddrFrom4(v4)); rule != "" {
			return rule + " (" + form + ")"
		}
		return ""
	}
	switch {
	case v4Compatible.Contains(a):
		return embedded([4]byte(b[12:16]), "IPv4-compatible")
	case nat64.Contains(a), nat64Local.Contains(a):
		return embedded([4]byte(b[12:16]), "NAT64")
	case sixToFour.Contains(a):
		return embedded([4]byte(b[2:6]), "6to4")
	case teredo.Contains(a):
		// Teredo carries the client's IPv4 address inverted in the last 32 bits.
		return embedded([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}, "Teredo")
	}
	return ""
}
