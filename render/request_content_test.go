package render

import (
	"errors"
	"strings"
	"testing"
)

// TestValidateContentControls covers the fields that narrow the text
// formats: onlyMainContent, includeTags, excludeTags and maxChars. Whether a
// selector parses is the Extractor's check (render has no CSS parser); here
// only its size and presence are.
func TestValidateContentControls(t *testing.T) {
	many := make([]string, MaxSelectors+1)
	for i := range many {
		many[i] = "p"
	}
	tests := []struct {
		name    string
		req     Request
		wantErr string // "" for a valid request
	}{
		{"all set", Request{HTML: "<p>x</p>", OnlyMainContent: true, IncludeTags: []string{"article", "main p"}, ExcludeTags: []string{".ad"}, MaxChars: 1000}, ""},
		{"as many selectors as allowed", Request{HTML: "x", ExcludeTags: many[:MaxSelectors]}, ""},
		{"too many selectors", Request{HTML: "x", IncludeTags: many}, "includeTags has 65 selectors; the limit is 64"},
		{"empty selector", Request{HTML: "x", ExcludeTags: []string{"nav", "  "}}, "excludeTags[1] is empty"},
		{"selector too long", Request{HTML: "x", IncludeTags: []string{strings.Repeat("div ", 300)}}, "includeTags[0] is 1200 bytes; the limit is 1024"},
		{"negative maxChars", Request{HTML: "x", MaxChars: -1}, "maxChars must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && !errors.Is(err, ErrInvalidRequest):
				t.Fatalf("Validate: %v, want an ErrInvalidRequest", err)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate: %q, want it to say %q", err, tt.wantErr)
			}
		})
	}
}
