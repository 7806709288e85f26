package extract_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

func f(v float64) *float64 { return &v }

func TestScrape(t *testing.T) {
	const doc = `<html><head><title>Shop</title></head><body>
<h1 class="title">Winter  <em>loaves</em></h1>
<ul id="prices"><li data-sku="a1">Rye <b>€4</b></li><li data-sku="b2">Spelt<br>€5</li></ul>
<script>var li = "<li>not me</li>";</script>
<table><tr><td>x</td><td>y</td></tr></table>
</body></html>`
	tests := []struct {
		name     string
		elements []string
		boxes    map[string][]render.Box
		want     []render.Scraped
	}{
		{
			name:     "text html and attributes in document order",
			elements: []string{"#prices li", "h1"},
			want: []render.Scraped{
				{Selector: "#prices li", Results: []render.ScrapedElement{
					{Text: "Rye €4", HTML: "Rye <b>€4</b>", Attributes: []render.Attribute{{Name: "data-sku", Value: "a1"}}},
					{Text: "Spelt €5", HTML: "Spelt<br/>€5", Attributes: []render.Attribute{{Name: "data-sku", Value: "b2"}}},
				}},
				{Selector: "h1", Results: []render.ScrapedElement{
					{Text: "Winter loaves", HTML: "Winter  <em>loaves</em>", Attributes: []render.Attribute{{Name: "class", Value: "title"}}},
				}},
			},
		},
		{
			name:     "no match is an empty list",
			elements: []string{"article"},
			want:     []render.Scraped{{Selector: "article", Results: []render.ScrapedElement{}}},
		},
		{
			name:     "cells are apart",
			elements: []string{"tr"},
			want: []render.Scraped{{Selector: "tr", Results: []render.ScrapedElement{
				{Text: "x y", HTML: "<td>x</td><td>y</td>", Attributes: []render.Attribute{}},
			}}},
		},
		{
			name:     "boxes from the browser join by position",
			elements: []string{"li"},
			boxes:    map[string][]render.Box{"li": {{Tag: "li", Top: 10, Left: 8, Width: 100, Height: 20}, {Tag: "li", Top: 30, Left: 8, Width: 100, Height: 20}}},
			want: []render.Scraped{{Selector: "li", Results: []render.ScrapedElement{
				{Text: "Rye €4", HTML: "Rye <b>€4</b>", Attributes: []render.Attribute{{Name: "data-sku", Value: "a1"}}, Top: f(10), Left: f(8), Width: f(100), Height: f(20)},
				{Text: "Spelt €5", HTML: "Spelt<br/>€5", Attributes: []render.Attribute{{Name: "data-sku", Value: "b2"}}, Top: f(30), Left: f(8), Width: f(100), Height: f(20)},
			}}},
		},
		{
			name:     "boxes of other elements are not guessed at",
			elements: []string{"li"},
			boxes:    map[string][]render.Box{"li": {{Tag: "li"}, {Tag: "div"}}},
			want: []render.Scraped{{Selector: "li", Results: []render.ScrapedElement{
				{Text: "Rye €4", HTML: "Rye <b>€4</b>", Attributes: []render.Attribute{{Name: "data-sku", Value: "a1"}}},
				{Text: "Spelt €5", HTML: "Spelt<br/>€5", Attributes: []render.Attribute{{Name: "data-sku", Value: "b2"}}},
			}}},
		},
	}
	x := extract.New()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := &render.Request{Formats: []render.Format{render.FormatScrape}}
			for _, s := range tc.elements {
				req.Elements = append(req.Elements, render.ScrapeElement{Selector: s})
			}
			res, err := x.Extract(&render.Page{URL: "https://shop.example/", HTML: doc, Boxes: tc.boxes}, req)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, res.Scrape); diff != "" {
				t.Errorf("scrape (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScrapeRefusesBadSelectors(t *testing.T) {
	x := extract.New()
	for _, sel := range []string{"div[", "a:has(b:has(c))", "p >"} {
		req := &render.Request{Formats: []render.Format{render.FormatScrape}, Elements: []render.ScrapeElement{{Selector: "p"}, {Selector: sel}}}
		err := x.CheckRequest(req)
		if !errors.Is(err, render.ErrInvalidRequest) || !strings.Contains(err.Error(), "elements[1]") {
			t.Errorf("CheckRequest(%q) = %v, want an invalid request naming elements[1]", sel, err)
		}
		if _, err := x.Extract(&render.Page{HTML: "<p>x"}, req); !errors.Is(err, render.ErrInvalidRequest) {
			t.Errorf("Extract(%q) = %v, want an invalid request", sel, err)
		}
	}
}

// TestScrapeIsBounded scrapes "*" from a page where every element holds
// the rest of the page: matches and bytes stay within their caps.
func TestScrapeIsBounded(t *testing.T) {
	doc := strings.Repeat("<div>"+strings.Repeat("word ", 200), 3000)
	req := &render.Request{Formats: []render.Format{render.FormatScrape}, Elements: []render.ScrapeElement{{Selector: "*"}, {Selector: "div"}}}
	res, err := extract.New().Extract(&render.Page{HTML: doc}, req)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, s := range res.Scrape {
		if len(s.Results) > 1000 {
			t.Errorf("%s: %d results, want at most 1000", s.Selector, len(s.Results))
		}
		for _, e := range s.Results {
			total += len(e.Text) + len(e.HTML)
		}
	}
	if total > 4<<20+1000 {
		t.Errorf("scrape returned %d bytes of text and html, want at most about 4 MiB", total)
	}
}

// FuzzScrapeAndOutline feeds arbitrary documents and selectors to the
// scrape and outline formats: no panic, no hang, a bad selector only as the
// caller's error, and output within its caps.
func FuzzScrapeAndOutline(f *testing.F) {
	f.Add(`<ul><li a=1>x<li>y</ul><form><input name=q></form>`, "li", "https://example.com/")
	f.Add(`<header><nav><a href="//x.example.co.uk/">x</a></nav></header><main><h2>t</h2>`, "a[href]", "about:blank")
	f.Add(strings.Repeat("<section aria-label=s><div>", 60)+"<a href=x>y</a>", "*", "http://[::1]/")
	f.Add(`<p hidden><button>b</button></p><svg><a href=x><title>t</title></a></svg>`, "p:nth-child(2n+1) ~ svg", "")
	f.Add(`<label for=a>L</label><select id=a aria-labelledby="a a a"></select>`, "div[", "https://example.com")
	x := extract.New()
	f.Fuzz(func(t *testing.T, document, selector, pageURL string) {
		req := &render.Request{
			Formats:  []render.Format{render.FormatScrape, render.FormatOutline, render.FormatLinks},
			Elements: []render.ScrapeElement{{Selector: selector}, {Selector: "a"}}, VisibleLinksOnly: true, ExcludeExternalLinks: true,
		}
		done := make(chan struct{})
		var res *render.Result
		var err error
		go func() {
			defer close(done)
			res, err = x.Extract(&render.Page{URL: pageURL, HTML: document}, req)
		}()
		// A generous bound: this is a hang detector, not a benchmark.
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("Extract of %d bytes with selector %q did not return within 10s", len(document), selector)
		}
		if err != nil {
			if !errors.Is(err, render.ErrInvalidRequest) {
				t.Fatalf("Extract: %v", err)
			}
			return
		}
		total := 0
		for _, s := range res.Scrape {
			if len(s.Results) > 1000 {
				t.Errorf("%d results", len(s.Results))
			}
			for _, e := range s.Results {
				total += len(e.Text) + len(e.HTML)
			}
		}
		if total > 4<<20+2000 {
			t.Errorf("scrape returned %d bytes", total)
		}
		if n := strings.Count(res.Outline, "\n"); n > 5001 {
			t.Errorf("outline has %d lines", n)
		}
		for _, l := range res.Links {
			if !l.Internal {
				t.Errorf("external link %q kept with excludeExternalLinks", l.URL)
			}
		}
	})
}
