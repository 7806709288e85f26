package session

import (
	"html"
	"net/url"
	"slices"
	"strings"
)

// redactor replaces the values of a session's secrets, in every form a page
// or a URL may show them, with «secret:NAME».
type redactor struct {
	replacer *strings.Replacer // nil without secrets
}

// MaxSecrets bounds how many secrets a session holds; MinSecretLength and
// MaxSecretLength the length of one.
const (
	MaxSecrets      = 32
	MinSecretLength = 4
	MaxSecretLength = 4096
)

func newRedactor(secrets map[string]string) redactor {
	type pair struct{ from, to string }
	var pairs []pair
	for name, value := range secrets {
		if value == "" {
			continue
		}
		shown := "«secret:" + name + "»"
		// The value as typed, as a query string or path carries it, and as
		// HTML escapes it.
		for _, form := range []string{value, url.QueryEscape(value), url.PathEscape(value), html.EscapeString(value),
			strings.ReplaceAll(url.QueryEscape(value), "+", "%20")} {
			pairs = append(pairs, pair{form, shown})
		}
	}
	if len(pairs) == 0 {
		return redactor{}
	}
	// Longest first, so that a secret holding another is replaced whole.
	slices.SortFunc(pairs, func(a, b pair) int { return len(b.from) - len(a.from) })
	var args []string
	seen := map[string]bool{}
	for _, p := range pairs {
		if !seen[p.from] {
			seen[p.from] = true
			args = append(args, p.from, p.to)
		}
	}
	return redactor{replacer: strings.NewReplacer(args...)}
}

// String returns s with every secret value replaced.
func (r redactor) String(s string) string {
	if r.replacer == nil {
		return s
	}
	return r.replacer.Replace(s)
}
