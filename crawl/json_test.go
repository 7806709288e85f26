package crawl_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/llm"
)

// model adapts llm.Extractor to crawl.JSONExtractor, as cmd/sous does.
type model struct{ *llm.Extractor }

func (m model) ExtractJSON(ctx context.Context, r crawl.JSONRequest) (json.RawMessage, error) {
	return m.Extractor.ExtractJSON(ctx, llm.Request{Content: r.Content, Prompt: r.Prompt, Schema: r.Schema, Model: r.Model, Authorization: r.Authorization})
}

var heading = regexp.MustCompile(`(?m)^# (.+)$`)

// The json format asks the model about each page. A small OpenAI-compatible
// server stands in for the model (a boundary Sous does not own): it answers
// with the page's first heading, or fails for every page.
func TestJSONFormat(t *testing.T) {
	for _, failing := range []bool{false, true} {
		t.Run(fmt.Sprintf("model fails %v", failing), func(t *testing.T) {
			server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if failing {
					http.Error(w, "the model is down", http.StatusInternalServerError)
					return
				}
				var body struct{ Messages []struct{ Content string } }
				json.NewDecoder(r.Body).Decode(&body)
				title := "none"
				if m := heading.FindStringSubmatch(body.Messages[len(body.Messages)-1].Content); m != nil {
					title = m[1]
				}
				answer, _ := json.Marshal(map[string]string{"title": title})
				fmt.Fprintf(w, `{"choices": [{"message": {"role": "assistant", "content": %q}}]}`, answer)
			}))
			defer server.Close()
			m := newManager(t, crawl.Options{JSON: model{&llm.Extractor{URL: server.URL, Model: "test"}}})
			_, res := run(t, m, &crawl.Request{
				URL: site.URL + "/site/", Limit: 2, Render: ptr(false), Formats: []crawl.Format{crawl.FormatJSON},
				JSONOptions: &crawl.JSONOptions{Prompt: "The page's title", ResponseFormat: &crawl.ResponseFormat{
					Type: "json_schema", JSONSchema: json.RawMessage(`{"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}`)}},
			})
			if len(res.Records) != 2 {
				t.Fatalf("records %+v", res.Records)
			}
			for _, r := range res.Records {
				if r.Status != crawl.RecordCompleted || r.Markdown != "" || r.HTML != "" {
					t.Errorf("%s: %s, markdown %q", r.URL, r.Status, r.Markdown)
				}
				switch {
				case failing && (len(r.JSON) != 0 || !strings.HasPrefix(r.Error, "json: ")):
					t.Errorf("%s: json %s, error %q", r.URL, r.JSON, r.Error)
				case !failing && string(r.JSON) != fmt.Sprintf(`{"title":%q}`, r.Metadata.Title):
					t.Errorf("%s: json %s, title %q", r.URL, r.JSON, r.Metadata.Title)
				}
			}
		})
	}
}
