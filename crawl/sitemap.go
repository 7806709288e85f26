package crawl

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Bounds on sitemaps (the sitemaps.org protocol's own: 50,000 URLs and
// 50 MB a file), and on how many one crawl reads.
const (
	maxSitemapBytes = 50 << 20
	maxSitemapURLs  = 50_000
	maxSitemaps     = 20
)

// readSitemaps returns the page URLs the sitemaps at urls list, following
// sitemap indexes, in document order, at most max of them. A sitemap that
// cannot be fetched or parsed is passed over: sitemaps are a hint.
func readSitemaps(ctx context.Context, client *http.Client, userAgent string, urls []string, max int) []string {
	var pages []string
	seen := map[string]bool{}
	queue := append([]string(nil), urls...)
	for fetched := 0; len(queue) > 0 && fetched < maxSitemaps && len(pages) < max; fetched++ {
		u := queue[0]
		queue = queue[1:]
		if seen[u] {
			continue
		}
		seen[u] = true
		locs, index, err := fetchSitemap(ctx, client, userAgent, u)
		if err != nil {
			continue
		}
		if index {
			queue = append(queue, locs...)
			continue
		}
		pages = append(pages, locs[:min(len(locs), max-len(pages))]...)
	}
	return pages
}

// fetchSitemap fetches and parses one sitemap, gzipped or not. index is
// true for a sitemap index, whose locs are more sitemaps.
func fetchSitemap(ctx context.Context, client *http.Client, userAgent, u string) (locs []string, index bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("User-Agent", userAgent)
	resp, err := client.Do(req)
	if err != nil {
		return nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, false, fmt.Errorf("sitemap %s: HTTP %d", u, resp.StatusCode)
	}
	body := bufio.NewReader(io.LimitReader(resp.Body, maxSitemapBytes))
	var r io.Reader = body
	if magic, _ := body.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(body)
		if err != nil {
			return nil, false, fmt.Errorf("sitemap %s: %w", u, err)
		}
		defer gz.Close()
		r = io.LimitReader(gz, maxSitemapBytes)
	}
	return parseSitemap(r)
}

// parseSitemap reads a <urlset> or a <sitemapindex>: the text of each
// <loc>, at most maxSitemapURLs of them.
func parseSitemap(r io.Reader) (locs []string, index bool, err error) {
	dec := xml.NewDecoder(r)
	dec.Strict = false
	root := ""
	for len(locs) < maxSitemapURLs {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return locs, index, err
		}
		start, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if root == "" {
			root = start.Name.Local
			if root != "urlset" && root != "sitemapindex" {
				return nil, false, fmt.Errorf("not a sitemap: the root element is <%s>", root)
			}
			index = root == "sitemapindex"
			continue
		}
		// Only the sitemap's own <loc>, not an image or video extension's.
		if start.Name.Local == "loc" && (start.Name.Space == "" || strings.HasPrefix(start.Name.Space, "http://www.sitemaps.org/")) {
			var loc string
			if err := dec.DecodeElement(&loc, &start); err != nil {
				return locs, index, err
			}
			if loc = strings.TrimSpace(loc); loc != "" {
				locs = append(locs, loc)
			}
		}
	}
	return locs, index, nil
}
