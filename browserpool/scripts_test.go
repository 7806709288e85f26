package browserpool_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/render"
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
		{"queryselector", "/about.html", []any{"h1"}, want(`{}`)}, // an element, by value
		{"queryselector", "/about.html", []any{"#nothing"}, want(`null`)},
		{"queryselector", "/about.html", []any{"h1[["}, want(`"invalid"`)},
		{"scrollby", "/big.html", []any{300, 0, 1}, want(`{"x":0,"y":300}`)},
		{"scrollby", "/big.html", []any{300, 0, -1}, want(`{"x":0,"y":0}`)}, // already at the top
		{"scrollby", "/big.html", []any{0, 0, 1}, func(t *testing.T, v json.RawMessage) {
			var at struct{ X, Y float64 }
			if err := json.Unmarshal(v, &at); err != nil || at.X != 0 || at.Y < 100 {
				t.Errorf("got %s, want most of a screen down", v)
			}
		}},
		{"visible", "/controls.html", []any{"#pin"}, want(`true`)},
		{"visible", "/controls.html", []any{"#ghost"}, want(`false`)}, // visibility: hidden
		{"visible", "/controls.html", []any{"#empty"}, want(`false`)}, // no size
		{"visible", "/controls.html", []any{"#nothing"}, want(`false`)},
		{"visible", "/controls.html", []any{"h1[["}, want(`"invalid"`)},
		{"hastext", "/about.html", []any{"About The Crumb Ledger", false}, want(`true`)},
		{"hastext", "/about.html", []any{"About The Crumb Ledger", true}, want(`false`)},
		{"hastext", "/about.html", []any{"Not on this page", false}, want(`false`)},
		{"hastext", "/about.html", []any{"Not on this page", true}, want(`true`)},
		{"hastext", "/controls.html", []any{"Not shown", false}, want(`false`)}, // in the DOM, hidden
		{"localstorage", "/cookies/js.html", nil, func(t *testing.T, v json.RawMessage) {
			var o struct {
				Origin       string
				LocalStorage []struct{ Name, Value string }
			}
			if err := json.Unmarshal(v, &o); err != nil {
				t.Fatalf("%s: %v", v, err)
			}
			if o.Origin != site.URL || len(o.LocalStorage) == 0 || o.LocalStorage[len(o.LocalStorage)-1].Name != "visited" {
				t.Errorf("got %s, want %s and the item the page wrote", v, site.URL)
			}
		}},
		{"setlocalstorage", "/about.html", []any{[]map[string]string{{"name": "flour", "value": "rye"}}}, want(`true`)},
		{"(items) => { (" + browserpool.Scripts["setlocalstorage"] + ")(items); return (" + browserpool.Scripts["localstorage"] + ")().localStorage.sort((a, b) => a.name < b.name ? -1 : 1); }",
			"/about.html", []any{[]map[string]string{{"name": "flour", "value": "rye"}, {"name": "crust", "value": "dark & \"crisp\""}}},
			want(`[{"name":"crust","value":"dark & \"crisp\""},{"name":"flour","value":"rye"}]`)},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.script] = true
		name := tc.script
		if _, ok := browserpool.Scripts[name]; !ok {
			name = "expression"
		}
		t.Run(name+" "+tc.path, func(t *testing.T) {
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

// want checks that a script returned the JSON value w.
func want(w string) func(t *testing.T, v json.RawMessage) {
	return func(t *testing.T, v json.RawMessage) {
		t.Helper()
		if d := cmp.Diff(w, string(v)); d != "" {
			t.Errorf("result (-want +got):\n%s", d)
		}
	}
}

// Each script of js/ that a session's actions call on an element does
// what its comment says, on a fixture page in real Chromium, and throws
// what the agent is told for an element that does not suit it.
func TestElementScripts(t *testing.T) {
	const log = `document.getElementById("log").textContent`
	tests := []struct {
		name     string
		script   string
		selector string
		args     []any
		after    string // an expression read after the script, for what it did
		want     string // the script's JSON value, "" for none
		// wantAfter is after's JSON value.
		wantAfter string
		// wantErr is the message of the ErrInvalidRequest the agent gets.
		wantErr string
	}{
		{name: "the middle of a fixed button", script: "center", selector: "#pin", want: `{"x":60,"y":40}`},
		{name: "a hidden element takes no space", script: "center", selector: "#empty", want: `null`},
		{name: "a text input is focused and selected", script: "focusfield", selector: "#name",
			after:     `[document.activeElement.id, document.activeElement.selectionStart, document.activeElement.selectionEnd]`,
			wantAfter: `["name",0,3]`},
		{name: "a contenteditable element is focused and selected", script: "focusfield", selector: "#message",
			after: `[document.activeElement.id, getSelection().toString()]`, wantAfter: `["message","Happy birthday"]`},
		{name: "a textarea takes text", script: "focusfield", selector: "#notes",
			after: `document.activeElement.id`, wantAfter: `"notes"`},
		{name: "a disabled field", script: "focusfield", selector: "#locked", wantErr: "the field is disabled"},
		{name: "a read-only field", script: "focusfield", selector: "#fixed-price", wantErr: "the field is read-only"},
		{name: "a checkbox is no text field", script: "focusfield", selector: "#sliced",
			wantErr: "the element is not a text field (it is input type=checkbox)"},
		{name: "a select is no text field", script: "focusfield", selector: "#flour",
			wantErr: "the element is not a text field (it is select type=select-one)"},
		{name: "a text input is emptied with its events", script: "clearfield", selector: "#name",
			after: `[document.getElementById("name").value, ` + log + `]`, wantAfter: `["","name:input name:change "]`},
		{name: "a contenteditable element is emptied", script: "clearfield", selector: "#message",
			after: `[document.getElementById("message").textContent, ` + log + `]`, wantAfter: `["","message:input message:change "]`},
		{name: "a select", script: "fieldkind", selector: "#flour", want: `"select"`},
		{name: "a checkbox", script: "fieldkind", selector: "#sliced", want: `"check"`},
		{name: "a radio button", script: "fieldkind", selector: "#large", want: `"check"`},
		{name: "an ARIA switch", script: "fieldkind", selector: "#gift", want: `"check"`},
		{name: "a textarea", script: "fieldkind", selector: "#notes", want: `"text"`},
		{name: "an option by value, with its events", script: "selectoptions", selector: "#flour", args: []any{[]string{"spelt"}},
			after: `[document.getElementById("flour").value, ` + log + `]`, wantAfter: `["spelt","flour:input flour:change "]`},
		{name: "an option by label", script: "selectoptions", selector: "#flour", args: []any{[]string{" Rye "}},
			after: `document.getElementById("flour").value`, wantAfter: `"rye"`},
		{name: "options of a multiple select", script: "selectoptions", selector: "#extras", args: []any{[]string{"jam", "Honey"}},
			after: `[...document.getElementById("extras").selectedOptions].map(o => o.value)`, wantAfter: `["jam","honey"]`},
		{name: "two options of a single select", script: "selectoptions", selector: "#flour", args: []any{[]string{"rye", "spelt"}},
			wantErr: "the select takes one option, not 2"},
		{name: "no such option", script: "selectoptions", selector: "#flour", args: []any{[]string{"barley"}},
			wantErr: `no option "barley"; the options are "Rye", "Spelt", "Wheat"`},
		{name: "a disabled select", script: "selectoptions", selector: "#oven", args: []any{[]string{"Stone"}},
			wantErr: "the select is disabled"},
		{name: "a text input is no select", script: "selectoptions", selector: "#name", args: []any{[]string{"Ada"}},
			wantErr: "the element is not a select (it is input)"},
		{name: "a checked box", script: "checked", selector: "#sliced", want: `true`},
		{name: "an unchecked box", script: "checked", selector: "#seeded", want: `false`},
		{name: "a chosen radio button", script: "checked", selector: "#small", want: `true`},
		{name: "an ARIA switch that is off", script: "checked", selector: "#gift", want: `false`},
		{name: "a text input is no checkbox", script: "checked", selector: "#name",
			wantErr: "the element is not a checkbox or radio button"},
		{name: "a file input", script: "fileinput", selector: "#photo"},
		{name: "a disabled file input", script: "fileinput", selector: "#scan", wantErr: "the file input is disabled"},
		{name: "a text input is no file input", script: "fileinput", selector: "#name",
			wantErr: "the element is not a file input (it is input)"},
		// The element is found by queryselector.js.
		{name: "no element matches", script: "checked", selector: "#nothing", wantErr: `no element matches "#nothing"`},
		{name: "an invalid selector", script: "checked", selector: "h1[[",
			wantErr: `"h1[[" is neither a ref (e12) nor a valid CSS selector`},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.script] = true
		t.Run(tc.script+" "+tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			v, after, err := browserpool.CallElementScript(ctx, shared, site.URL+"/controls.html", tc.selector, tc.script, tc.args, tc.after)
			if tc.wantErr != "" {
				if !errors.Is(err, render.ErrInvalidRequest) {
					t.Fatalf("got %v, want an ErrInvalidRequest", err)
				}
				if d := cmp.Diff(tc.wantErr, strings.TrimPrefix(err.Error(), render.ErrInvalidRequest.Error()+": ")); d != "" {
					t.Errorf("message (-want +got):\n%s", d)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, string(v)); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
			if d := cmp.Diff(tc.wantAfter, string(after)); d != "" {
				t.Errorf("after, %s (-want +got):\n%s", tc.after, d)
			}
		})
	}
	var untested []string
	for name := range browserpool.ElementScripts {
		if !seen[name] {
			untested = append(untested, name)
		}
	}
	if len(untested) > 0 {
		t.Errorf("scripts without a test: %s", strings.Join(untested, ", "))
	}
}
