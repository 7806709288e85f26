package extract_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenPages are the pages in testdata, each with the address it is
// extracted as. Every testdata/*.html must be listed here.
var goldenPages = []struct {
	name string
	url  string
}{
	{"article", "https://blog.example.com/posts/2024/go-html.html"},
	{"table", "https://data.example.org/reports/q3"},
	{"multilingual", "https://intl.example.jp/ja/about"},
	{"base", "https://docs.example.net/guide/start.html"},
	{"navigation", "https://trailhead.example.com/category/shoes?page=2"},
	{"metadata", "https://news.example.com/2024/05/story"},
	{"snippet", "about:blank"}, // html input: no address to resolve against
	{"messy", "https://deals.example.com/today"},
}

// textFormats are all the formats Extract fills.
var textFormats = []render.Format{
	render.FormatMarkdown, render.FormatText, render.FormatHTML,
	render.FormatRawHTML, render.FormatLinks, render.FormatMetadata,
	render.FormatOutline,
}

// TestGolden extracts every format from each testdata page and compares the
// result with testdata/NAME.golden.json. Run with -update to rewrite the
// golden files, then read the diff: a golden file that encodes a bug is
// worse than none.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".html")
		if !slices.ContainsFunc(goldenPages, func(p struct{ name, url string }) bool { return p.name == name }) {
			t.Errorf("%s is not in goldenPages, so no test reads it", f)
		}
	}

	x := extract.New()
	for _, page := range goldenPages {
		t.Run(page.name, func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join("testdata", page.name+".html"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := x.Extract(&render.Page{URL: page.url, HTML: string(input)}, &render.Request{Formats: textFormats})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if got.RawHTML != string(input) {
				t.Errorf("RawHTML differs from the input")
			}
			// The golden file holds what extraction derived, not the input.
			got.RawHTML = ""

			goldenPath := filepath.Join("testdata", page.name+".golden.json")
			if *update {
				if err := os.WriteFile(goldenPath, marshalGolden(t, got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			wantJSON, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			var want render.Result
			if err := json.Unmarshal(wantJSON, &want); err != nil {
				t.Fatalf("%s: %v", goldenPath, err)
			}
			if diff := cmp.Diff(&want, got, compactJSON); diff != "" {
				t.Errorf("Extract mismatch (-%s +got):\n%s", goldenPath, diff)
			}
		})
	}
}

// compactJSON compares JSON-LD by content: the golden file indents it.
var compactJSON = cmp.Transformer("compactJSON", func(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
})

func marshalGolden(t *testing.T, res *render.Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	// Keep <, > and & as they are so the golden HTML can be read.
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExtractFillsOnlyRequestedFormats(t *testing.T) {
	page := &render.Page{
		URL:        "https://example.com/",
		HTML:       `<title>T</title><p>Hello <a href="/a">a</a></p>`,
		Screenshot: []byte("png"),
	}
	tests := []struct {
		name    string
		formats []render.Format
		want    *render.Result
	}{
		{
			name:    "no formats means markdown",
			formats: nil,
			want:    &render.Result{Markdown: "Hello [a](https://example.com/a)"},
		},
		{
			name:    "raw html only",
			formats: []render.Format{render.FormatRawHTML},
			want:    &render.Result{RawHTML: page.HTML},
		},
		{
			name:    "text and links",
			formats: []render.Format{render.FormatText, render.FormatLinks},
			want: &render.Result{
				Text:  "Hello a",
				Links: []render.Link{{URL: "https://example.com/a", Text: "a", Internal: true}},
			},
		},
		{
			name:    "metadata",
			formats: []render.Format{render.FormatMetadata},
			want:    &render.Result{Metadata: &render.Metadata{Title: "T", PageType: extract.PageOther}},
		},
		{
			name:    "screenshot is not the extractor's",
			formats: []render.Format{render.FormatScreenshot, render.FormatPDF},
			want:    &render.Result{},
		},
	}
	x := extract.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := x.Extract(page, &render.Request{Formats: tt.formats})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Extract mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractNilPage(t *testing.T) {
	if _, err := extract.New().Extract(nil, &render.Request{}); err == nil {
		t.Error("Extract(nil) returned no error")
	}
}

func TestExtractNilRequestMeansMarkdown(t *testing.T) {
	got, err := extract.New().Extract(&render.Page{HTML: "<h1>Hi</h1>"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&render.Result{Markdown: "# Hi"}, got); diff != "" {
		t.Errorf("Extract mismatch (-want +got):\n%s", diff)
	}
}

// TestExtractDeepNesting covers documents nested deeper than the HTML
// parser accepts (512 open elements): they are flattened and extracted, not
// refused.
func TestExtractDeepNesting(t *testing.T) {
	tests := []struct {
		name string
		html string
	}{
		{"divs", strings.Repeat("<div>", 2000) + "deep text" + strings.Repeat("</div>", 2000)},
		{"unclosed fonts", "<p>" + strings.Repeat("<font color=red>x", 3000) + "deep text"},
		{"list items", "<ul>" + strings.Repeat("<li>item<ul>", 1000) + "deep text"},
		{"end tags the parser ignores", strings.Repeat("<span><div></span>", 400) + "deep text"},
		{"script text that looks like markup", strings.Repeat("<div>", 600) + "<script>'" + strings.Repeat("<div>", 600) + "'</script>deep text"},
		// The parser reopens the five <b>s after each </div>; flattening
		// must drop formatting tags to get under its limit.
		{"reopened formatting", strings.Repeat("<template><div><b id=0><b id=1><b id=2><b id=3><b id=4></div>x", 200) + strings.Repeat("</template>", 200) + "deep text"},
	}
	x := extract.New()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := x.Extract(&render.Page{HTML: tt.html}, &render.Request{Formats: []render.Format{render.FormatText, render.FormatMarkdown}})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if !strings.Contains(got.Text, "deep text") || !strings.Contains(got.Markdown, "deep text") {
				t.Errorf("the innermost text was lost: text ends %q, markdown ends %q", tail(got.Text), tail(got.Markdown))
			}
		})
	}
}

func tail(s string) string {
	if len(s) > 40 {
		return s[len(s)-40:]
	}
	return s
}

// TestExtractConcurrent shares one Extractor between goroutines; run with
// -race.
func TestExtractConcurrent(t *testing.T) {
	input, err := os.ReadFile(filepath.Join("testdata", "article.html"))
	if err != nil {
		t.Fatal(err)
	}
	x := extract.New()
	page := &render.Page{URL: "https://blog.example.com/", HTML: string(input)}
	want, err := x.Extract(page, &render.Request{Formats: textFormats})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			got, err := x.Extract(page, &render.Request{Formats: textFormats})
			if err != nil {
				t.Error(err)
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("concurrent Extract differs (-first +this):\n%s", diff)
			}
		})
	}
	wg.Wait()
}

func BenchmarkExtract(b *testing.B) {
	x := extract.New()
	for _, page := range goldenPages {
		input, err := os.ReadFile(filepath.Join("testdata", page.name+".html"))
		if err != nil {
			b.Fatal(err)
		}
		p := &render.Page{URL: page.url, HTML: string(input)}
		req := &render.Request{Formats: textFormats}
		b.Run(page.name, func(b *testing.B) {
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := x.Extract(p, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
