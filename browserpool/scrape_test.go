package browserpool_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/render"
)

// TestScrapeBoxes checks the boxes a render measures for the scrape format:
// document coordinates in CSS pixels (not the viewport's, so scrolling
// does not move them), one per match in document order.
func TestScrapeBoxes(t *testing.T) {
	doc := `<style>body { margin: 0 } div { height: 50px; width: 200px } #far { margin-top: 2000px; margin-left: 30px }</style>
<div class="row">a</div><div class="row">b</div><div id="far">c</div>
<script>scrollTo(0, 1500)</script>`
	page := fetch(t, shared, &render.Request{HTML: doc, Formats: []render.Format{render.FormatScrape},
		Elements: []render.ScrapeElement{{Selector: ".row"}, {Selector: "#far"}, {Selector: "#none"}, {Selector: "p:bogus("}}})
	want := map[string][]render.Box{
		".row":  {{Tag: "div", Top: 0, Left: 0, Width: 200, Height: 50}, {Tag: "div", Top: 50, Left: 0, Width: 200, Height: 50}},
		"#far":  {{Tag: "div", Top: 2100, Left: 30, Width: 200, Height: 50}},
		"#none": {},
		// A selector the browser cannot parse gets no boxes; the extractor
		// refuses it before a render in any case.
	}
	if diff := cmp.Diff(want, page.Boxes); diff != "" {
		t.Errorf("boxes (-want +got):\n%s", diff)
	}

	article := fetch(t, shared, &render.Request{URL: site.URL + "/article.html", Formats: []render.Format{render.FormatScrape},
		Elements: []render.ScrapeElement{{Selector: "h2"}}})
	h2 := article.Boxes["h2"]
	if len(h2) < 3 {
		t.Fatalf("article h2 boxes = %v", h2)
	}
	for i := 1; i < len(h2); i++ {
		if h2[i].Top <= h2[i-1].Top || h2[i].Width <= 0 || h2[i].Height <= 0 {
			t.Errorf("h2 boxes not in document order or empty: %v", h2)
		}
	}

	plain := fetch(t, shared, &render.Request{URL: site.URL + "/article.html", Elements: []render.ScrapeElement{{Selector: "h2"}}})
	if plain.Boxes != nil {
		t.Errorf("a render without the scrape format measured boxes: %v", plain.Boxes)
	}
}

func TestAccessibilityTree(t *testing.T) {
	page := fetch(t, shared, &render.Request{URL: site.URL + "/article.html", Formats: []render.Format{render.FormatAccessibilityTree}})
	root := page.AccessibilityTree
	if root == nil || root.Role != "RootWebArea" || !strings.Contains(root.Name, "Sourdough") {
		t.Fatalf("root = %+v", root)
	}
	var headings, links int
	var walk func(n *render.AXNode)
	walk = func(n *render.AXNode) {
		switch n.Role {
		case "heading":
			if n.Level == 1 && strings.Contains(n.Name, "Sourdough") {
				headings++
			}
		case "link":
			if n.Name != "" {
				links++
			}
		case "generic", "InlineTextBox":
			t.Errorf("interestingOnly kept a %s node", n.Role)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(root)
	if headings != 1 || links < 3 {
		t.Errorf("found %d level-1 headings and %d named links", headings, links)
	}
}
