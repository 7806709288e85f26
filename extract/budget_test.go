package extract

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestCutToBudget(t *testing.T) {
	code := "```go\n" + strings.Repeat("x := 1\n\n", 20) + "```"
	tests := []struct {
		name     string
		in       string
		maxChars int
		markdown bool
		want     string
	}{
		{"fits", "short", 5, false, "short"},
		{"one long paragraph: cut at a word", strings.Repeat("word ", 30), 70, false, "word word word word\n\n[… 131 more characters left out by maxChars]"},
		{"one long code block: fence closed", code, 80, true, "```go\nx := 1\n\nx := 1\n\nx := 1\n```\n\n[… 141 more characters left out by maxChars]"},
		// The README's maxChars 60: a word cut, but never inside a link.
		{"never inside a link", "See [the documentation of the project](https://example.com/docs) for more.", 60, true, "See\n\n[… 71 more characters left out by maxChars]"},
		{"a whole link is kept", "A [b](https://c.example) and " + strings.Repeat("more words ", 10), 80, true, "A [b](https://c.example) and more\n\n[… 106 more characters left out by maxChars]"},
		{"characters, not bytes", strings.Repeat("日本語の文章。", 10) + "\n\n" + strings.Repeat("次の段落。", 10), 120, false, strings.Repeat("日本語の文章。", 10) + "\n\n[… 52 more characters left out by maxChars]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cutToBudget(tt.in, tt.maxChars, tt.markdown)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if n := utf8.RuneCountInString(got); n > tt.maxChars {
				t.Errorf("%d characters, over the budget of %d", n, tt.maxChars)
			}
		})
	}
}
