package render

import (
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
)

// normalized is what Normalize works out once for a request, so that no
// stage interprets the request's raw fields again.
type normalized struct {
	reject, allow []*regexp.Regexp
	wait          Wait
	settle        time.Duration

	mu       sync.Mutex
	compiled map[string]any // see Request.Compiled
}

// Wait is a request's gotoOptions.waitUntil, interpreted: what must happen
// before the page counts as loaded.
type Wait struct {
	// DOMContentLoaded alone: the load event is not awaited.
	DOMContentLoaded bool
	// NetworkIdle is the most connections that may stay open for 500 ms
	// (0 or 2), or -1 for no network-idle condition.
	NetworkIdle int
}

// Normalize returns the request every stage reads: a copy of r with the
// defaults filled in (markdown when no format is named, engine auto, URL
// trimmed) and options in one canonical form (a fidelity option set to its
// default is the same as none; a waitUntil of "load" is kept, since naming
// it turns the default settle off), its request patterns compiled and its
// wait condition interpreted. It reports the first problem a caller must
// fix, wrapped in ErrInvalidRequest; the checks run in a fixed order, so
// the same request always gets the same error.
//
// r itself is not modified, so a request may be shared and rendered by
// several goroutines. The copy shares r's slices and must be treated as
// read-only.
func (r *Request) Normalize() (*Request, error) {
	if r.norm != nil {
		return r, nil // already normalized
	}
	n := *r
	n.URL = strings.TrimSpace(n.URL)
	if len(n.Formats) == 0 {
		n.Formats = []Format{FormatMarkdown}
	}
	if n.Engine == "" {
		n.Engine = EngineAuto
	}
	n.GotoOptions = canonicalGoto(n.GotoOptions)
	if err := n.check(); err != nil {
		return nil, err
	}
	n.canonicalFidelity()
	norm := &normalized{wait: waitOf(n.GotoOptions), settle: settleOf(&n)}
	var err error
	if norm.reject, err = compilePatterns("rejectRequestPattern", n.RejectRequestPattern); err != nil {
		return nil, err
	}
	if norm.allow, err = compilePatterns("allowRequestPattern", n.AllowRequestPattern); err != nil {
		return nil, err
	}
	n.norm = norm
	return &n, nil
}

// Validate reports the first problem of r that a caller must fix, as
// Normalize does, without changing r.
func (r *Request) Validate() error {
	_, err := r.Normalize()
	return err
}

// canonicalGoto writes gotoOptions one way: waitUntil without repeats, in
// a fixed order, without "load" beside other events; nil when nothing is
// left.
func canonicalGoto(g *GotoOptions) *GotoOptions {
	if g == nil {
		return nil
	}
	c := *g
	if len(c.WaitUntil) > 0 {
		w := slices.Clone(c.WaitUntil)
		slices.Sort(w)
		c.WaitUntil = slices.Compact(w)
		if len(c.WaitUntil) > 1 {
			// load comes before every other event: naming it beside them
			// adds nothing.
			c.WaitUntil = slices.DeleteFunc(c.WaitUntil, func(e string) bool { return e == WaitLoad })
		}
	}
	if c.WaitUntil == nil && c.Timeout == 0 && c.Referer == "" {
		return nil
	}
	return &c
}

// waitOf interprets waitUntil: the one place that reads its events.
func waitOf(g *GotoOptions) Wait {
	w := Wait{NetworkIdle: -1}
	if g == nil {
		return w
	}
	for _, e := range g.WaitUntil {
		switch e {
		case WaitNetworkIdle0:
			w.NetworkIdle = 0
		case WaitNetworkIdle2:
			if w.NetworkIdle != 0 {
				w.NetworkIdle = 2
			}
		}
	}
	w.DOMContentLoaded = len(g.WaitUntil) == 1 && g.WaitUntil[0] == WaitDOMContentLoaded
	return w
}

func compilePatterns(name string, list []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(list))
	for i, p := range list {
		re, err := CompilePattern(p)
		if err != nil {
			return nil, invalid("%s[%d]: %v", name, i, err)
		}
		out = append(out, re)
	}
	return out, nil
}

// Wait is the request's wait condition, as Normalize interpreted it.
func (r *Request) Wait() Wait {
	if r.norm != nil {
		return r.norm.wait
	}
	return waitOf(canonicalGoto(r.GotoOptions))
}

// RequestPatterns are rejectRequestPattern and allowRequestPattern,
// compiled by Normalize. On a request that was not normalized they are
// compiled now, and a pattern that does not compile is left out.
func (r *Request) RequestPatterns() (reject, allow []*regexp.Regexp) {
	if r.norm != nil {
		return r.norm.reject, r.norm.allow
	}
	lenient := func(list []string) []*regexp.Regexp {
		var out []*regexp.Regexp
		for _, p := range list {
			if re, err := CompilePattern(p); err == nil {
				out = append(out, re)
			}
		}
		return out
	}
	return lenient(r.RejectRequestPattern), lenient(r.AllowRequestPattern)
}

// Compiled returns what build makes of the request, building it once per
// normalized request and key: how an adapter compiles what render cannot
// (CSS selectors), once for the check before a render and the extraction
// after it. On a request that was not normalized it simply calls build.
func (r *Request) Compiled(key string, build func() (any, error)) (any, error) {
	if r.norm == nil {
		return build()
	}
	n := r.norm
	n.mu.Lock()
	defer n.mu.Unlock()
	if v, ok := n.compiled[key]; ok {
		if err, failed := v.(error); failed {
			return nil, err
		}
		return v, nil
	}
	v, err := build()
	if n.compiled == nil {
		n.compiled = map[string]any{}
	}
	if err != nil {
		n.compiled[key] = err
		return nil, err
	}
	n.compiled[key] = v
	return v, nil
}

// canonicalFidelity leaves out the fidelity options set to their defaults,
// so that they do not split the cache.
func (r *Request) canonicalFidelity() {
	if r.ScrollPages != nil && *r.ScrollPages == DefaultScrollPages {
		r.ScrollPages = nil
	}
	if r.IncludeFrames != nil && *r.IncludeFrames {
		r.IncludeFrames = nil
	}
	if r.SettleTimeout != nil && time.Duration(*r.SettleTimeout)*time.Millisecond == defaultSettleOf(r) {
		r.SettleTimeout = nil
	}
}

// defaultSettleOf is the settle budget of r when settleTimeout is unset:
// DefaultSettle, unless the caller said what to wait for.
func defaultSettleOf(r *Request) time.Duration {
	explicit := (r.GotoOptions != nil && len(r.GotoOptions.WaitUntil) > 0) || r.WaitForSelector != nil
	if explicit {
		return 0
	}
	return DefaultSettle * time.Millisecond
}

// settleOf interprets settleTimeout: the one place that reads it.
func settleOf(r *Request) time.Duration {
	if r.SettleTimeout != nil {
		return time.Duration(*r.SettleTimeout) * time.Millisecond
	}
	return defaultSettleOf(r)
}

// Settle is the request's settle budget (see SettleTimeout); zero means
// no settling.
func (r *Request) Settle() time.Duration {
	if r.norm != nil {
		return r.norm.settle
	}
	return settleOf(r)
}

// ScrollPassPages is how many viewport heights the scroll pass may cover
// (see ScrollPages); zero means no scroll pass.
func (r *Request) ScrollPassPages() int {
	if r.ScrollPages != nil {
		return *r.ScrollPages
	}
	return DefaultScrollPages
}

// FramesIncluded reports whether frames' documents go into the page (see
// IncludeFrames).
func (r *Request) FramesIncluded() bool {
	return r.IncludeFrames == nil || *r.IncludeFrames
}
