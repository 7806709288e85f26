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
	"strings"
	"syscall"
)

// ErrBlocked is wrapped by every refusal; BlockedError says which rule.
var ErrBlocked = errors.New("blocked by the network guard")

// RuleNotPublic is the rule of a name, as opposed to an address, that
// resolves to no address a page may reach, or to nothing at all. The two
// are one rule on purpose: were "intranet.corp is a private address"
// different from "no such host", a caller could map which internal names
// exist. With AllowPrivate there is nothing to hide, and a name that does
// not resolve is an ordinary lookup failure.
const RuleNotPublic = "non-public"

// BlockedError is a refused connection. Its message names the rule and the
// host as the page wrote it, never the internal address it resolved to.
type BlockedError struct {
	Host string
	Rule string
}

func (e *BlockedError) Error() string {
	if e.Rule == RuleNotPublic {
		return fmt.Sprintf("%s: %s has no public address", ErrBlocked, e.Host)
	}
	return fmt.Sprintf("%s: %s is a %s address", ErrBlocked, e.Host, e.Rule)
}

// ErrUnreachable is wrapped by a connection that the guard allowed and the
// network refused; UnreachableError says how, in words that name neither
// the address a name resolved to nor the machine's resolver.
var ErrUnreachable = errors.New("unreachable")

// UnreachableError is a name that did not resolve or an allowed address
// that did not answer.
type UnreachableError struct {
	Host   string // as the page wrote it
	Port   uint16 // 0 for a failed lookup
	Reason string // "connection refused", "no such host", …
}

func (e *UnreachableError) Error() string {
	if e.Port == 0 {
		return fmt.Sprintf("look up %s: %s", e.Host, e.Reason)
	}
	return fmt.Sprintf("connect to %s: %s", net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port))), e.Reason)
}

func (e *UnreachableError) Unwrap() error { return ErrUnreachable }

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
	if g.denied(a, port) {
		return &BlockedError{Host: host, Rule: "this service's own"}
	}
	if g.opts.AllowPrivate || slices.ContainsFunc(g.opts.Allow, func(p netip.Prefix) bool { return p.Contains(a) }) {
		return nil
	}
	if rule := Rule(a); rule != "" {
		if isName(host) {
			rule = RuleNotPublic
		}
		return &BlockedError{Host: host, Rule: rule}
	}
	return nil
}

// denied reports whether a:port is one of the Deny addresses. A listener
// on one address of this machine is reachable through every other one
// when it listens on all of them, and its port is this service's on any
// of them, so a denied port is denied on every local address: loopback,
// unspecified, and each interface's, whatever the listen address was.
func (g *Guard) denied(a netip.Addr, port uint16) bool {
	if !slices.ContainsFunc(g.opts.Deny, func(d netip.AddrPort) bool { return d.Port() == port }) {
		return false
	}
	if a.IsLoopback() || a.IsUnspecified() || slices.ContainsFunc(g.opts.Deny, func(d netip.AddrPort) bool { return d.Addr().Unmap() == a }) {
		return true
	}
	// Interfaces come and go (DHCP, VPNs), so they are read at each check;
	// only connections to a denied port pay for it.
	return isLocalAddress(a)
}

// isLocalAddress reports whether a belongs to one of this machine's
// interfaces. If the interfaces cannot be read, every address counts as
// local: refusing a port is safer than letting a page call this service.
func isLocalAddress(a netip.Addr) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return true
	}
	for _, ia := range addrs {
		if p, err := netip.ParsePrefix(ia.String()); err == nil && p.Addr().Unmap() == a {
			return true
		}
	}
	return false
}

// isName reports whether host is a name to resolve rather than an address
// (or localhost, which is loopback by definition and hides nothing).
func isName(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return false
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return host != "localhost" && !strings.HasSuffix(host, ".localhost")
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
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return nil, &UnreachableError{Host: host, Port: uint16(port), Reason: dialReason(firstErr)}
}

// resolve looks host up. Its errors never name the resolver (net's do:
// "lookup x on 10.0.0.2:53"), and without AllowPrivate a name that does
// not resolve is refused exactly as one that resolves to a private
// address (see RuleNotPublic).
func (g *Guard) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := g.opts.Resolver.LookupNetIP(ctx, "ip", host)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err == nil && len(addrs) > 0 {
		return addrs, nil
	}
	if !g.opts.AllowPrivate && isName(host) {
		return nil, &BlockedError{Host: host, Rule: RuleNotPublic}
	}
	reason := "no such host"
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) && !dnsErr.IsNotFound {
		reason = "the lookup failed"
		if dnsErr.IsTimeout {
			reason = "the lookup timed out"
		}
	}
	return nil, &UnreachableError{Host: host, Reason: reason}
}

// dialReason says in a few words why a connection failed, without the
// addresses that net's errors carry.
func dialReason(err error) string {
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "no route to host"
	case errors.As(err, &netErr) && netErr.Timeout():
		return "connection timed out"
	}
	return "connection failed"
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
