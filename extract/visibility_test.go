package extract

import (
	"strings"
	"testing"

	"github.com/sous-dev/sous/render"
)

func TestLayoutHidden(t *testing.T) {
	const src = `<html><head><title>t</title></head><body><p>` + "Visible text that is most of the page, long enough to count. " + `</p><template><p>x</p></template><div><span>hidden note</span></div></body></html>`
	// Elements in document order: html 0, head 1, title 2, body 3, p 4,
	// template 5 (its content is no part of the DOM), div 6, span 7.
	tests := []struct {
		name     string
		page     render.Page
		wantText string // text of the one element found; "" for none
	}{
		{"found", render.Page{Hidden: []render.ElementRef{{Index: 7, Tag: "span"}}, Elements: 8}, "hidden note"},
		{"another tag at the index", render.Page{Hidden: []render.ElementRef{{Index: 7, Tag: "div"}}, Elements: 8}, ""},
		{"another element count", render.Page{Hidden: []render.ElementRef{{Index: 7, Tag: "span"}}, Elements: 9}, ""},
		{"past the end", render.Page{Hidden: []render.ElementRef{{Index: 20, Tag: "span"}}, Elements: 8}, ""},
		{"most of the text", render.Page{Hidden: []render.ElementRef{{Index: 4, Tag: "p"}}, Elements: 8}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parseDocument(src)
			if err != nil {
				t.Fatal(err)
			}
			tc.page.HTML = src
			found := layoutHidden(doc, &tc.page)
			if tc.wantText == "" {
				if found != nil {
					t.Errorf("found %d elements; want the list distrusted", len(found))
				}
				return
			}
			if len(found) != 1 {
				t.Fatalf("found %d elements, want 1", len(found))
			}
			for n := range found {
				if got := strings.TrimSpace(textContent(n)); got != tc.wantText {
					t.Errorf("found %q, want %q", got, tc.wantText)
				}
			}
		})
	}
}
