package crawl

import (
	"errors"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"
)

var errNotWeb = errors.New("not an http or https URL")

// Normalize resolves ref against base (nil for an absolute ref) and returns
// it in the form the crawler fetches and compares URLs in: scheme and host
// in lower case, no default port, no fragment, no user information, dot
// segments resolved, "/" for an empty path and the query's parameters
// sorted. Only http and https URLs normalise.
func Normalize(base *url.URL, ref string) (*url.URL, error) {
	var u *url.URL
	var err error
	if base != nil {
		u, err = base.Parse(strings.TrimSpace(ref))
	} else {
		u, err = url.Parse(strings.TrimSpace(ref))
	}
	if err != nil {
		return nil, err
	}
	u.Scheme = strings.ToLower(u.Scheme)
	if u.Scheme != "http" && u.Scheme != "https" || u.Opaque != "" || u.Hostname() == "" {
		return nil, errNotWeb
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "80" && u.Scheme == "http" || port == "443" && u.Scheme == "https" {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	u.Host = host
	if port != "" {
		u.Host += ":" + port
	}
	if u.Path == "" {
		u.Path, u.RawPath = "/", ""
	} else if cleaned := cleanPath(u.Path); cleaned != u.Path {
		u.Path, u.RawPath = cleaned, ""
	}
	u.ForceQuery = false
	if u.RawQuery != "" {
		params := strings.Split(u.RawQuery, "&")
		params = slices.DeleteFunc(params, func(p string) bool { return p == "" })
		slices.Sort(params)
		u.RawQuery = strings.Join(params, "&")
	}
	// A host that parsed leniently but does not round-trip (such as "::")
	// names nothing a crawl can fetch.
	if _, err := url.Parse(u.String()); err != nil {
		return nil, errNotWeb
	}
	return u, nil
}

// cleanPath resolves . and .. segments and repeated slashes, keeping a
// trailing slash.
func cleanPath(p string) string {
	cleaned := path.Clean(p)
	if strings.HasSuffix(p, "/") && cleaned != "/" {
		cleaned += "/"
	}
	return cleaned
}

// sameKey is the key two URLs share when they name the same page:
// the normalised URL without a trailing slash on its path, so that
// /docs and /docs/ are crawled once.
func sameKey(u *url.URL) string {
	p := u.EscapedPath()
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	k := u.Scheme + "://" + u.Host + p
	if u.RawQuery != "" {
		k += "?" + u.RawQuery
	}
	return k
}

// scope decides which discovered URLs a crawl visits.
type scope struct {
	host     string // the starting URL's host (with a port when not the default)
	base     string // its hostname without www., for subdomains
	port     string
	opts     Scope
	include  []pattern
	exclude  []pattern
	external bool
}

func newScope(start *url.URL, opts Scope) *scope {
	s := &scope{
		host:     start.Host,
		base:     strings.TrimPrefix(start.Hostname(), "www."),
		port:     start.Port(),
		opts:     opts,
		external: opts.IncludeExternalLinks,
	}
	for _, p := range opts.IncludePatterns {
		s.include = append(s.include, compilePattern(p))
	}
	for _, p := range opts.ExcludePatterns {
		s.exclude = append(s.exclude, compilePattern(p))
	}
	return s
}

// allows reports whether u, normalised, is one the crawl visits.
func (s *scope) allows(u *url.URL) bool {
	switch {
	case s.external:
	case u.Host == s.host:
	case s.opts.IncludeSubdomains && u.Port() == s.port &&
		(u.Hostname() == s.base || strings.HasSuffix(u.Hostname(), "."+s.base)):
	default:
		return false
	}
	for _, p := range s.exclude {
		if p.match(u) {
			return false
		}
	}
	if len(s.include) == 0 {
		return true
	}
	for _, p := range s.include {
		if p.match(u) {
			return true
		}
	}
	return false
}

// pattern is one wildcard pattern of Scope.
type pattern struct {
	re        *regexp.Regexp
	wholeURL  bool
	withQuery bool
}

// compilePattern turns a wildcard pattern into an anchored regular
// expression: ** matches anything, * anything but a slash.
func compilePattern(p string) pattern {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(p); {
		switch {
		case strings.HasPrefix(p[i:], "**"):
			b.WriteString(".*")
			i += 2
		case p[i] == '*':
			b.WriteString("[^/]*")
			i++
		default:
			j := i
			for j < len(p) && p[j] != '*' {
				j++
			}
			// URLs are matched escaped, so non-ASCII is written as they are.
			b.WriteString(regexp.QuoteMeta(percentEncode(p[i:j])))
			i = j
		}
	}
	b.WriteString("$")
	return pattern{
		re:        regexp.MustCompile(b.String()), // every byte but * is quoted
		wholeURL:  strings.Contains(p, "://"),
		withQuery: strings.Contains(p, "?"),
	}
}

func (p pattern) match(u *url.URL) bool {
	switch {
	case p.wholeURL:
		return p.re.MatchString(u.String())
	case p.withQuery:
		return p.re.MatchString(u.RequestURI())
	default:
		return p.re.MatchString(u.EscapedPath())
	}
}

// fileExtensions are links to things that are not web pages; a crawl
// passes them by without a record.
var fileExtensions = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".webp": true, ".svg": true, ".ico": true, ".avif": true,
	".css": true, ".js": true, ".mjs": true, ".json": true, ".map": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true,
	".zip": true, ".gz": true, ".tgz": true, ".tar": true, ".bz2": true, ".xz": true, ".7z": true, ".rar": true,
	".exe": true, ".dmg": true, ".iso": true, ".deb": true, ".rpm": true, ".apk": true, ".msi": true,
	".mp3": true, ".mp4": true, ".webm": true, ".ogg": true, ".wav": true, ".mov": true, ".avi": true,
	".pdf": true, ".doc": true, ".docx": true, ".xls": true, ".xlsx": true, ".ppt": true, ".pptx": true,
	".xml": true, ".rss": true, ".atom": true, ".txt": true,
}

func isFile(u *url.URL) bool {
	return fileExtensions[strings.ToLower(path.Ext(u.Path))]
}
