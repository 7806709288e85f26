package extract_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

// corpusPages loads the shared article-extraction corpus (real news and
// blog pages, 16 MB of HTML), which lives beside the module, not in it: the
// benchmark skips without it.
func corpusPages(b *testing.B) []*render.Page {
	b.Helper()
	dir := filepath.Join("..", "..", "shared", "corpus", "article-extraction")
	raw, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		b.Skipf("no article-extraction corpus beside the module: %v", err)
	}
	var truth map[string]struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(raw, &truth); err != nil {
		b.Fatal(err)
	}
	var pages []*render.Page
	for id, t := range truth {
		f, err := os.Open(filepath.Join(dir, "html", id+".html.gz"))
		if err != nil {
			b.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		var buf bytes.Buffer
		_, err = io.Copy(&buf, zr)
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		pages = append(pages, &render.Page{URL: t.URL, HTML: buf.String()})
	}
	slices.SortFunc(pages, func(a, b *render.Page) int { return strings.Compare(a.URL, b.URL) })
	return pages
}

// BenchmarkExtractCorpus extracts the pages of the corpus in turn, one page
// per operation, so ns/op is the mean time per page; the median over pages
// is reported as ms/page-p50 (and the slowest as ms/page-max), since a few
// large pages pull the mean up.
func BenchmarkExtractCorpus(b *testing.B) {
	pages := corpusPages(b)
	var size int64
	for _, p := range pages {
		size += int64(len(p.HTML))
	}
	for _, bench := range []struct {
		name string
		req  *render.Request
	}{
		{"main/text", &render.Request{Formats: []render.Format{render.FormatText}, OnlyMainContent: true}},
		{"main/markdown", &render.Request{Formats: []render.Format{render.FormatMarkdown}, OnlyMainContent: true}},
		{"whole/markdown", &render.Request{Formats: []render.Format{render.FormatMarkdown}}},
	} {
		b.Run(bench.name, func(b *testing.B) {
			x := extract.New()
			spent := make([]time.Duration, len(pages))
			runs := make([]int, len(pages))
			b.SetBytes(size / int64(len(pages)))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				k := i % len(pages)
				start := time.Now()
				if _, err := x.Extract(pages[k], bench.req); err != nil {
					b.Fatal(err)
				}
				spent[k] += time.Since(start)
				runs[k]++
				i++
			}
			var perPage []float64
			for k := range pages {
				if runs[k] > 0 {
					perPage = append(perPage, float64(spent[k].Microseconds())/1000/float64(runs[k]))
				}
			}
			slices.Sort(perPage)
			if len(perPage) == len(pages) {
				b.ReportMetric(perPage[len(perPage)/2], "ms/page-p50")
				b.ReportMetric(perPage[len(perPage)-1], "ms/page-max")
			}
		})
	}
}
