package session

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDiff(t *testing.T) {
	old := []string{"- main [ref=e1]", "  - heading \"Items\" [ref=e2]", "  - paragraph [ref=e3]: Nothing done yet.", "  - button \"Delete\" [ref=e4]"}
	tests := []struct {
		name string
		new  []string
		want string
	}{
		{"same", old, ""},
		{"changed line", []string{old[0], old[1], "  - paragraph [ref=e3]: Deleted.", old[3]},
			"  - main [ref=e1]\n-   - paragraph [ref=e3]: Nothing done yet.\n+   - paragraph [ref=e3]: Deleted."},
		{"added at the end", append(append([]string{}, old...), "  - text: Done"), "  - main [ref=e1]\n+   - text: Done"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := cmp.Diff(tt.want, diff(old, tt.new)); d != "" {
				t.Errorf("diff (-want +got):\n%s", d)
			}
		})
	}
}

func TestRedactor(t *testing.T) {
	r := newRedactor(map[string]string{"PW": "a b&<c>", "SHORT": "a b"})
	for _, in := range []string{"a b&<c>", "a+b%26%3Cc%3E", "a%20b&%3Cc%3E", "a b&amp;&lt;c&gt;"} {
		if got := r.String("x " + in + " y"); got != "x «secret:PW» y" {
			t.Errorf("%q → %q", in, got)
		}
	}
	if got := r.String("a b"); got != "«secret:SHORT»" {
		t.Errorf("the shorter secret: %q", got)
	}
	if got := (redactor{}).String("a b"); got != "a b" {
		t.Errorf("no secrets: %q", got)
	}
}

func TestCut(t *testing.T) {
	text := strings.Repeat("- line of the outline\n", 100)
	got := cut(text, 500, "snapshot")
	if len([]rune(got)) > 500 || !strings.Contains(got, "[snapshot cut at 500 characters") {
		t.Errorf("cut to %d characters:\n%s", len([]rune(got)), got)
	}
}
