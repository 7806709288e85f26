package crawl

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Bounds on what a site's robots.txt and sitemaps can make the crawler do.
const (
	maxRobotsBytes = 500 << 10 // RFC 9309 asks crawlers to read at least 500 KiB
	maxCrawlDelay  = 30 * time.Second
	fetchTimeout   = 15 * time.Second
)

// robots is what one host's robots.txt says to this crawler (RFC 9309).
type robots struct {
	rules    []robotsRule
	delay    time.Duration // Crawl-delay, when the file gives one
	sitemaps []string
	// denyAll is set when robots.txt could not be reached (a 5xx or a
	// network failure): RFC 9309 then asks for no crawling at all.
	denyAll bool
	reason  string // why denyAll
	// signals are the Content Signals of the group that applies
	// (contentsignals.org): "search", "ai-input", "ai-train" → "yes"/"no".
	signals ContentSignals
}

// ContentSignals are what a site's robots.txt says its content may be
// used for (contentsignals.org): each of "search", "ai-input" and
// "ai-train" (and any other signal it names) mapped to "yes" or "no". A
// signal it does not name is neither granted nor refused.
type ContentSignals map[string]string

// The purposes Content Signals name, which a crawl declares in
// Request.CrawlPurposes and a render in its purpose.
const (
	PurposeSearch  = "search"
	PurposeAIInput = "ai-input"
	PurposeAITrain = "ai-train"
)

// Forbids returns the first of purposes the signals refuse, or "".
func (cs ContentSignals) Forbids(purposes []string) string {
	for _, p := range purposes {
		if cs[p] == "no" {
			return p
		}
	}
	return ""
}

// parseSignals adds the signals of one Content-Signal line's value
// ("search=yes, ai-train=no") to cs. A signal given twice keeps "no".
func (cs ContentSignals) parse(value string) {
	for part := range strings.SplitSeq(value, ",") {
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.ToLower(strings.TrimSpace(v))
		if !ok || k == "" || (v != "yes" && v != "no") {
			continue
		}
		if cs[k] != "no" {
			cs[k] = v
		}
	}
}

type robotsRule struct {
	allow  bool
	length int // of the pattern as written: the longest match wins
	re     *regexp.Regexp
}

// parseRobots reads a robots.txt for the product token agent (matched case
// insensitively, without any /version; the * group applies when no group
// names it), Content-Signal lines included.
func parseRobots(body []byte, agent string) *robots {
	agent, _, _ = strings.Cut(strings.ToLower(agent), "/")
	type group struct {
		agents  []string
		rules   []robotsRule
		delay   time.Duration
		signals []string // Content-Signal values
	}
	var groups []*group
	var current *group
	inAgents := false // the last line was a user-agent line
	r := &robots{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 4096), maxRobotsBytes)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		switch key {
		case "user-agent":
			if !inAgents || current == nil {
				current = &group{}
				groups = append(groups, current)
			}
			current.agents = append(current.agents, strings.ToLower(value))
			inAgents = true
			continue
		case "allow", "disallow":
			if current != nil && value != "" {
				current.rules = append(current.rules, robotsRule{allow: key == "allow", length: len(value), re: robotsPattern(value)})
			}
		case "content-signal":
			if current != nil {
				current.signals = append(current.signals, value)
			}
		case "crawl-delay":
			if secs, err := strconv.ParseFloat(value, 64); err == nil && current != nil && secs >= 0 {
				current.delay = min(time.Duration(secs*float64(time.Second)), maxCrawlDelay)
			}
		case "sitemap":
			if value != "" {
				r.sitemaps = append(r.sitemaps, value)
			}
		}
		inAgents = false
	}
	var chosen, star []*group
	for _, g := range groups {
		for _, a := range g.agents {
			switch {
			case a == agent:
				chosen = append(chosen, g)
			case a == "*":
				star = append(star, g)
			}
		}
	}
	if len(chosen) == 0 {
		chosen = star
	}
	for _, g := range chosen {
		r.rules = append(r.rules, g.rules...)
		r.delay = max(r.delay, g.delay)
		for _, v := range g.signals {
			if r.signals == nil {
				r.signals = ContentSignals{}
			}
			r.signals.parse(v)
		}
	}
	return r
}

// robotsPattern compiles a path pattern: * matches anything, a final $
// anchors the end, and anything else matches itself from the start.
func robotsPattern(p string) *regexp.Regexp {
	p = percentEncode(p)
	anchored := strings.HasSuffix(p, "$")
	p = strings.TrimSuffix(p, "$")
	var b strings.Builder
	b.WriteString("^")
	for i, part := range strings.Split(p, "*") {
		if i > 0 {
			b.WriteString(".*")
		}
		b.WriteString(regexp.QuoteMeta(part))
	}
	if anchored {
		b.WriteString("$")
	}
	return regexp.MustCompile(b.String()) // every part is quoted
}

// percentEncode writes the octets of p outside US-ASCII as %XX, as they
// are in the URLs the patterns are matched against (RFC 9309, 2.2.2).
func percentEncode(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if c := p[i]; c >= 0x80 || c < 0x20 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// allowed reports whether the path (with its query) may be fetched: the
// longest matching rule decides, allow winning a tie; no match allows.
func (r *robots) allowed(pathAndQuery string) bool {
	if r.denyAll {
		return false
	}
	if pathAndQuery == "/robots.txt" {
		return true
	}
	best, allow := -1, true
	for _, rule := range r.rules {
		if rule.length < best || !rule.re.MatchString(pathAndQuery) {
			continue
		}
		if rule.length > best || rule.allow {
			best, allow = rule.length, rule.allow
		}
	}
	return allow
}

// fetchRobots gets the robots.txt of the site at origin (scheme://host).
// A 4xx means no rules; a 5xx or a failure to connect means crawl nothing.
func fetchRobots(ctx context.Context, client *http.Client, origin, agent, userAgent string) *robots {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin+"/robots.txt", nil)
	if err != nil {
		return &robots{denyAll: true, reason: "robots.txt: " + err.Error()}
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return &robots{denyAll: true, reason: fmt.Sprintf("robots.txt could not be fetched, so the site may not be crawled: %v", err)}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		body, err := io.ReadAll(io.LimitReader(resp.Body, maxRobotsBytes))
		if err != nil {
			return &robots{denyAll: true, reason: fmt.Sprintf("robots.txt could not be read, so the site may not be crawled: %v", err)}
		}
		return parseRobots(body, agent)
	case resp.StatusCode >= 400 && resp.StatusCode < 500 && resp.StatusCode != http.StatusTooManyRequests:
		return &robots{}
	default:
		return &robots{denyAll: true, reason: fmt.Sprintf("robots.txt answered HTTP %d, so the site may not be crawled", resp.StatusCode)}
	}
}
