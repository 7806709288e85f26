package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRenderScrapeShape checks the JSON a client written for Cloudflare's
// scrape sees: per selector, its results with text, html, attributes as
// name/value pairs and the box of each match.
func TestRenderScrapeShape(t *testing.T) {
	body := fmt.Sprintf(`{"url": %q, "formats": ["scrape"], "elements": [{"selector": "h1"}, {"selector": "nav a"}]}`, site.URL+"/article.html")
	resp, err := http.Post(baseURL+"/v1/render", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env struct {
		Success bool `json:"success"`
		Result  struct {
			Scrape []struct {
				Selector string           `json:"selector"`
				Results  []map[string]any `json:"results"`
			} `json:"scrape"`
		} `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || !env.Success || len(env.Result.Scrape) != 2 {
		t.Fatalf("status %d, %+v", resp.StatusCode, env)
	}
	h1 := env.Result.Scrape[0]
	if h1.Selector != "h1" || len(h1.Results) != 1 {
		t.Fatalf("h1 = %+v", h1)
	}
	var keys []string
	for k := range h1.Results[0] {
		keys = append(keys, k)
	}
	if diff := cmp.Diff([]string{"attributes", "height", "html", "left", "text", "top", "width"}, slices.Sorted(slices.Values(keys))); diff != "" {
		t.Errorf("keys of a result (-want +got):\n%s", diff)
	}
	if h1.Results[0]["text"] != "Why Your Sourdough Starter Sulks in Winter" {
		t.Errorf("h1 text = %v", h1.Results[0]["text"])
	}
	if w, ok := h1.Results[0]["width"].(float64); !ok || w <= 0 {
		t.Errorf("h1 width = %v, want a positive number", h1.Results[0]["width"])
	}
	nav := env.Result.Scrape[1]
	if len(nav.Results) != 4 {
		t.Fatalf("nav a: %d results, want 4", len(nav.Results))
	}
	attrs, _ := json.Marshal(nav.Results[1]["attributes"])
	if string(attrs) != `[{"name":"href","value":"/recipes/starter.html"}]` {
		t.Errorf("attributes = %s", attrs)
	}

	for name, body := range map[string]string{
		"bad selector":     `{"html": "<p>x</p>", "formats": ["scrape"], "elements": [{"selector": "p["}]}`,
		"no elements":      `{"html": "<p>x</p>", "formats": ["scrape"]}`,
		"too many":         `{"html": "<p>x</p>", "formats": ["scrape"], "elements": [` + strings.Repeat(`{"selector": "p"},`, 64) + `{"selector": "p"}]}`,
		"missing selector": `{"html": "<p>x</p>", "formats": ["scrape"], "elements": [{}]}`,
	} {
		resp, err := http.Post(baseURL+"/v1/render", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", name, resp.StatusCode)
		}
	}
}
