package netguard

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/net/idna"
)

// uts46 maps a host the way browsers do before they look it up (UTS #46,
// non-transitional, as the WHATWG URL standard asks): full-width digits and
// letters become ASCII, case folds, and labels in other scripts become
// punycode.
var uts46 = idna.New(idna.MapForLookup(), idna.Transitional(false), idna.CheckHyphens(false), idna.StrictDomainName(false), idna.VerifyDNSLength(false))

// CanonicalHost returns host as a browser understands it, following the
// WHATWG URL standard's host parser: percent-decoded, mapped by UTS #46,
// and, when it is an IPv4 address in any of the spellings browsers accept
// (decimal 2130706433, hex 0x7f.1, octal 0177.0.0.1, short forms, a
// trailing dot), the dotted-quad address. An IPv6 literal loses its
// brackets. The guard must classify the address the browser will connect
// to, not the string the URL happens to contain.
func CanonicalHost(host string) string {
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		if a, err := netip.ParseAddr(host[1 : len(host)-1]); err == nil {
			return a.String()
		}
		return host
	}
	if a, err := netip.ParseAddr(host); err == nil && a.Is6() {
		return a.String() // url.URL.Hostname drops the brackets
	}
	if decoded, err := url.PathUnescape(host); err == nil {
		host = decoded
	}
	if mapped, err := uts46.ToASCII(host); err == nil {
		host = mapped
	} else {
		host = strings.ToLower(host)
	}
	if a, ok := parseIPv4(host); ok {
		return a.String()
	}
	return host
}

// parseIPv4 is the WHATWG IPv4 parser: a host whose last label is a number
// is an address of one to four parts, each decimal, 0x-hex or 0-octal; the
// last part fills the bytes the others leave.
func parseIPv4(host string) (netip.Addr, bool) {
	parts := strings.Split(host, ".")
	if len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1] // one trailing dot is allowed
	}
	if len(parts) == 0 || len(parts) > 4 {
		return netip.Addr{}, false
	}
	if _, ok := ipv4Number(parts[len(parts)-1]); !ok {
		return netip.Addr{}, false // the last label is a name: the host is a domain
	}
	var n uint64
	for i, p := range parts {
		v, ok := ipv4Number(p)
		if !ok {
			return netip.Addr{}, false
		}
		if i < len(parts)-1 {
			if v > 255 {
				return netip.Addr{}, false
			}
			n = n<<8 | v
			continue
		}
		rest := uint(5 - len(parts)) // bytes the last part fills
		if v >= 1<<(8*rest) {
			return netip.Addr{}, false
		}
		n = n<<(8*rest) | v
	}
	return netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}), true
}

// ipv4Number parses one part of an IPv4 host as WHATWG does.
func ipv4Number(s string) (uint64, bool) {
	if s == "" {
		return 0, false
	}
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true // "0x" alone is zero
		}
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	v, err := strconv.ParseUint(s, base, 64)
	if err != nil || v > 1<<32 {
		return 0, false
	}
	return v, true
}
