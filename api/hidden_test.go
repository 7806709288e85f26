package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sous-dev/sous/api"
)

func renderOK(t *testing.T, body string) *api.Envelope {
	t.Helper()
	resp, err := http.Post(baseURL+"/v1/render", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env api.Envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || env.Result == nil {
		t.Fatalf("status %d: %+v", resp.StatusCode, env.Errors)
	}
	return &env
}

// Text that a stylesheet hides from people — display, visibility, no size,
// off the page, the background's colour, no opacity, no font size — is left
// out of main content and of visible links, as the browser laid it out.
func TestMainContentDropsTextPeopleCannotSee(t *testing.T) {
	env := renderOK(t, fmt.Sprintf(`{"url": %q, "formats": ["markdown", "text", "links"], "onlyMainContent": true, "visibleLinksOnly": true, "cacheTTL": 0}`, site.URL+"/hidden.html"))
	res := env.Result
	for name, out := range map[string]string{"markdown": res.Markdown, "text": res.Text} {
		for _, want := range []string{"Dough proves slowly", "A proving box helps", "Shape the loaf"} {
			if !strings.Contains(out, want) {
				t.Errorf("%s lacks the visible %q:\n%s", name, want, out)
			}
		}
		for _, hidden := range []string{"HIDDEN-DISPLAY", "HIDDEN-VISIBILITY", "HIDDEN-ZERO-SIZE", "HIDDEN-OFFSCREEN", "HIDDEN-SAME-COLOUR", "HIDDEN-OPACITY", "HIDDEN-FONT-SIZE", "TEMPLATE-CONTENT"} {
			if strings.Contains(out, hidden) {
				t.Errorf("%s has text no one can see: %s", name, hidden)
			}
		}
	}
	var links []string
	for _, l := range res.Links {
		links = append(links, l.URL)
	}
	if got := strings.Join(links, " "); strings.Contains(got, "secret-menu") || !strings.Contains(got, "/recipes/") {
		t.Errorf("visible links = %s; want /recipes/ and not the hidden menu", got)
	}

	// The whole page, not narrowed to its content, keeps what only a
	// stylesheet hides (collapsed sections and tabs are content too).
	env = renderOK(t, fmt.Sprintf(`{"url": %q, "formats": ["text"], "cacheTTL": 0}`, site.URL+"/hidden.html"))
	if !strings.Contains(env.Result.Text, "HIDDEN-DISPLAY") {
		t.Errorf("the whole page lost stylesheet-hidden text:\n%s", env.Result.Text)
	}
}
