package crawl

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// llms.txt (llmstxt.org) is a site's markdown guide for language models:
// an H1 title, a blockquote summary, and sections of links to the pages
// worth reading. /llms-full.txt, where a site has one, holds those pages'
// text. A crawl with source llms starts from the links of both.

// maxLLMsBytes bounds what is read of an llms.txt (a full one runs long).
const maxLLMsBytes = 4 << 20

// markdownLink matches a markdown link's target: [text](target "title").
var markdownLink = regexp.MustCompile(`\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)`)

// LLMsTxt is what a site's /llms.txt says of it.
type LLMsTxt struct {
	URL     string
	Title   string // its H1
	Summary string // its blockquote
	Links   []string
}

// parseLLMsTxt reads an llms.txt fetched from base.
func parseLLMsTxt(base *url.URL, body string) *LLMsTxt {
	l := &LLMsTxt{URL: base.String()}
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		switch {
		case l.Title == "" && strings.HasPrefix(line, "# "):
			l.Title = strings.TrimSpace(line[2:])
		case l.Summary == "" && strings.HasPrefix(line, ">"):
			l.Summary = strings.TrimSpace(strings.TrimPrefix(line, ">"))
		}
	}
	for _, m := range markdownLink.FindAllStringSubmatch(body, -1) {
		u, err := base.Parse(m[1])
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			continue
		}
		u.Fragment = ""
		l.Links = append(l.Links, u.String())
	}
	return l
}

// fetchLLMsTxt fetches and reads rawURL, an llms.txt; nil when there is
// none (anything but a 200 of text).
func fetchLLMsTxt(ctx context.Context, client *http.Client, userAgent, rawURL string) (*LLMsTxt, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		return nil, fmt.Errorf("%s: HTTP %d, %s", rawURL, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxLLMsBytes))
	if err != nil {
		return nil, err
	}
	return parseLLMsTxt(u, string(body)), nil
}

// readLLMsTxt returns the pages the llms.txt and llms-full.txt of the
// site at origin link to, at most max, in order.
func readLLMsTxt(ctx context.Context, client *http.Client, userAgent, origin string, max int) []string {
	var pages []string
	seen := map[string]bool{}
	for _, name := range []string{"/llms.txt", "/llms-full.txt"} {
		l, err := fetchLLMsTxt(ctx, client, userAgent, origin+name)
		if err != nil {
			continue
		}
		for _, link := range l.Links {
			if len(pages) >= max {
				return pages
			}
			if !seen[link] {
				seen[link] = true
				pages = append(pages, link)
			}
		}
	}
	return pages
}
