package extract_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
)

func outline(t *testing.T, pageURL, doc string) string {
	t.Helper()
	res, err := extract.New().Extract(&render.Page{URL: pageURL, HTML: doc}, &render.Request{Formats: []render.Format{render.FormatOutline}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Outline
}

func TestOutline(t *testing.T) {
	tests := []struct {
		name, doc, want string
	}{
		{
			name: "landmarks nest what they hold",
			doc: `<header><a href="/"><img src=logo.png alt="Home page"></a><nav aria-label="Main"><a href="/a">A</a></nav></header>
<main><article><header><h1>Title</h1></header><p>Text with a <a href="b.html#x">link</a>.</p>
<img src=x.png alt="A chart"><img src=deco.png alt=""></article></main><footer><a href="mailto:x@example.com">Mail</a></footer>`,
			want: `- banner [e1]
  - link "Home page" -> https://site.example/ [e2]
  - navigation "Main" [e3]
    - link "A" -> https://site.example/a [e4]
- main [e5]
  - heading[1] "Title" [e6]
  - link "link" -> https://site.example/dir/b.html#x [e7]
  - img "A chart" [e8]
- contentinfo [e9]
  - link "Mail" -> mailto:x@example.com [e10]`,
		},
		{
			name: "form fields with their labels",
			doc: `<form aria-label="Sign up"><label for=em>Email</label><input id=em type=email name=email placeholder="you@example.com" required>
<label>Plan <select name=plan><option>Free</option></select></label>
<input type=checkbox name=terms checked aria-label="Accept terms"><input type=hidden name=csrf value=secret>
<textarea name=note title="A note"></textarea><input type=password name=pw value=x>
<button type=submit>Join <b>now</b></button><input type=submit value="Later"></form>`,
			want: `- form "Sign up" [e1]
  - input[email] "Email" name="email" placeholder="you@example.com" required [e2]
  - select "Plan Free" name="plan" [e3]
  - input[checkbox] "Accept terms" name="terms" checked [e4]
  - textarea "A note" name="note" [e5]
  - input[password] name="pw" [e6]
  - button "Join now" [e7]
  - button "Later" [e8]`,
		},
		{
			name: "hidden elements and what is in them are left out",
			doc: `<div hidden><h2>Gone</h2></div><div aria-hidden="true"><a href="/x">x</a></div>
<p style="display: none"><button>Hidden</button></p><template><h2>Inert</h2></template>
<h2>Shown "quoted"</h2><div role="navigation" aria-labelledby="t"><span id="t">Pages</span><div role="button">Next</div></div>
<div role="heading" aria-level="3">Role heading</div><a>no href</a>`,
			want: `- heading[2] "Shown \"quoted\"" [e1]
- navigation "Pages" [e2]
  - button "Next" [e3]
- heading[3] "Role heading" [e4]`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := outline(t, "https://site.example/dir/page.html", tc.doc)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("outline (-want +got):\n%s", diff)
			}
			if again := outline(t, "https://site.example/dir/page.html", tc.doc); again != got {
				t.Errorf("refs are not stable: a second outline differs")
			}
		})
	}
}

// TestOutlineIsCompact checks the promise of the format: an agent gets the
// page's shape for a fraction of its HTML.
func TestOutlineIsCompact(t *testing.T) {
	doc, err := os.ReadFile("../fixtures/pages/article.html")
	if err != nil {
		t.Fatal(err)
	}
	got := outline(t, "http://127.0.0.1/article.html", string(doc))
	if len(got) == 0 || len(got)*4 >= len(doc) {
		t.Errorf("outline is %d bytes for %d bytes of HTML, want less than 25%%:\n%s", len(got), len(doc), got)
	}
	for _, want := range []string{`- main [e`, `heading[1] "Why Your Sourdough Starter Sulks in Winter"`, `- navigation "Main"`} {
		if !strings.Contains(got, want) {
			t.Errorf("outline lacks %q:\n%s", want, got)
		}
	}
}

func TestOutlineIsBounded(t *testing.T) {
	got := outline(t, "", strings.Repeat(`<a href="/x">x</a>`, 6000))
	if n := strings.Count(got, "\n") + 1; n != 5001 {
		t.Errorf("outline has %d lines, want 5000 and a last line", n)
	}
	if !strings.HasSuffix(got, "[1000 more elements left out]") {
		t.Errorf("outline ends %q", got[len(got)-60:])
	}
}
