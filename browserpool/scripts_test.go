package browserpool_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/browserpool"
)

// Each page script of js/ does what its comment says, on a fixture page in
// real Chromium.
func TestPageScripts(t *testing.T) {
	tests := []struct {
		script string
		path   string
		args   []any
		check  func(t *testing.T, v json.RawMessage)
	}{
		{"settle", "/about.html", nil, func(t *testing.T, v json.RawMessage) {
			if string(v) != "true" {
				t.Errorf("got %s, want true (already installed in the document)", v)
			}
		}},
		{"settle_state", "/fidelity/spa.html", []any{5000, false}, func(t *testing.T, v json.RawMessage) {
			var s struct{ Timers int }
			if err := json.Unmarshal(v, &s); err != nil || s.Timers != 1 {
				t.Errorf("got %s, want the one timer the page set for a second later", v)
			}
		}},
		{`() => { fetch("/hang"); const x = new XMLHttpRequest(); x.open("GET", "/hang"); x.send();
			return window[Symbol.for("sous.settle")].state(0, false).requests; }`, "/about.html", nil, func(t *testing.T, v json.RawMessage) {
			if string(v) != "2" {
				t.Errorf("got %s requests awaited, want the fetch and the XHR the page has just made", v)
			}
		}},
		{"scroll", "/fidelity/long.html?img=script", []any{10, 2000}, func(t *testing.T, v json.RawMessage) {
			if string(v) != "11" {
				t.Errorf("got %s steps, want 10 pages and the bottom", v)
			}
		}},
		{"scroll", "/fidelity/long.html?img=late", []any{10, 0}, func(t *testing.T, v json.RawMessage) {
			if string(v) != "1" {
				t.Errorf("got %s steps with no time left, want the look at the bottom", v)
			}
		}},
		{"scroll", "/about.html", []any{10, 2000}, func(t *testing.T, v json.RawMessage) {
			if string(v) != "0" {
				t.Errorf("got %s steps on a page shorter than its window, want 0", v)
			}
		}},
		{"overlay", "/fidelity/cookie-banner.html", nil, func(t *testing.T, v json.RawMessage) {
			var removed []string
			if err := json.Unmarshal(v, &removed); err != nil || len(removed) == 0 || removed[0] != "OneTrust" {
				t.Errorf("got %s, want the OneTrust banner first", v)
			}
		}},
		{"overlay", "/article.html", nil, func(t *testing.T, v json.RawMessage) {
			if string(v) != "[]" {
				t.Errorf("got %s on an article without overlays, want nothing removed", v)
			}
		}},
		{"snapshot", "/fidelity/shadow.html", []any{map[string]any{"selectors": []string{"h1"}, "maxBoxes": 5, "frames": true}}, func(t *testing.T, v json.RawMessage) {
			var s struct {
				HTML     string
				Elements int
				Boxes    map[string][]struct{ Tag string }
			}
			if err := json.Unmarshal(v, &s); err != nil {
				t.Fatal(err)
			}
			if missing := inOrder(s.HTML, "Scripted card", "Declared card"); missing != "" {
				t.Errorf("%q missing from %s", missing, s.HTML)
			}
			if s.Elements < 10 || len(s.Boxes["h1"]) != 1 || s.Boxes["h1"][0].Tag != "h1" {
				t.Errorf("elements %d, boxes %+v", s.Elements, s.Boxes)
			}
		}},
		{"scrollintoview", "/article.html", []any{"h1"}, func(t *testing.T, v json.RawMessage) {
			var box struct{ Width, Height float64 }
			if err := json.Unmarshal(v, &box); err != nil || box.Width == 0 || box.Height == 0 {
				t.Errorf("got %s, want the heading's box", v)
			}
		}},
		{"scrollintoview", "/article.html", []any{"#nothing"}, func(t *testing.T, v json.RawMessage) {
			if string(v) != "null" {
				t.Errorf("got %s, want null", v)
			}
		}},
		{"addtag", "/about.html", []any{map[string]string{"kind": "style", "content": "p { color: red }"}}, func(t *testing.T, v json.RawMessage) {
			if string(v) != "true" {
				t.Errorf("got %s", v)
			}
		}},
		{"waitselector", "/about.html", []any{map[string]any{"selector": "h1", "visible": true}}, func(t *testing.T, v json.RawMessage) {
			if string(v) != "true" {
				t.Errorf("got %s", v)
			}
		}},
		{"waitselector", "/about.html", []any{map[string]any{"selector": "h1[["}}, func(t *testing.T, v json.RawMessage) {
			if string(v) != `"invalid"` {
				t.Errorf("got %s, want invalid", v)
			}
		}},
		{"keepdocument", "/about.html", nil, func(t *testing.T, v json.RawMessage) {
			if string(v) != "true" {
				t.Errorf("got %s, want true (installed)", v)
			}
		}},
		{"ready", "/about.html", []any{false}, func(t *testing.T, v json.RawMessage) {
			if string(v) != "true" {
				t.Errorf("got %s", v)
			}
		}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.script] = true
		t.Run(tc.script+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			v, err := browserpool.CallScript(ctx, shared, site.URL+tc.path, tc.script, tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, json.RawMessage(v))
		})
	}
	var untested []string
	for name := range browserpool.Scripts {
		if !seen[name] {
			untested = append(untested, name)
		}
	}
	if d := cmp.Diff([]string(nil), untested); d != "" {
		t.Errorf("scripts without a test: %s", strings.Join(untested, ", "))
	}
}
