package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/llm"
	"github.com/sous-dev/sous/render"
)

// jsonModel adapts llm.Extractor to api.JSONExtractor, as cmd/sous does.
type jsonModel struct{ *llm.Extractor }

func (m jsonModel) ExtractJSON(ctx context.Context, r api.JSONRequest) (json.RawMessage, error) {
	return m.Extractor.ExtractJSON(ctx, llm.Request{Content: r.Content, Prompt: r.Prompt, Schema: r.Schema, Model: r.Model, Authorization: r.Authorization})
}

// A small OpenAI-compatible server stands in for the model (a boundary Sous
// does not own): its first answer breaks the schema, its second fits.
func TestCloudflareJSON(t *testing.T) {
	var calls atomic.Int32
	var sawPage, sawModel atomic.Bool
	model := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Model    string `json:"model"`
			Messages []struct{ Role, Content string }
		}
		json.NewDecoder(r.Body).Decode(&body)
		if len(body.Messages) > 1 && strings.Contains(body.Messages[1].Content, "ourdough") {
			sawPage.Store(true)
		}
		sawModel.Store(body.Model == "test-model")
		answer := `{"title": 42}` // wrong type for the schema
		if calls.Add(1) > 1 {
			answer = "```json\n{\"title\": \"Why Your Sourdough Starter Sulks in Winter\"}\n```"
		}
		fmt.Fprintf(w, `{"choices": [{"message": {"role": "assistant", "content": %q}}]}`, answer)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go model.Serve(ln)
	defer model.Close()

	svc, err := render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	start := func(opts api.Options) string {
		return serveAPI(t, api.New(svc, opts)) + "/client/v4/accounts/x/browser-rendering/json"
	}
	withModel := start(api.Options{JSON: jsonModel{&llm.Extractor{URL: "http://" + ln.Addr().String() + "/v1", Model: "test-model"}}})
	body := fmt.Sprintf(`{"url": %q, "prompt": "Get the article title",
	  "response_format": {"type": "json_schema", "json_schema": {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}}}`,
		site.URL+"/article.html")

	resp, raw := postJSON(t, withModel, body)
	var env struct {
		Success bool            `json:"success"`
		Result  json.RawMessage `json:"result"`
	}
	json.Unmarshal(raw, &env)
	if resp.StatusCode != 200 || !env.Success || string(env.Result) != `{"title":"Why Your Sourdough Starter Sulks in Winter"}` {
		t.Fatalf("status %d, body %s", resp.StatusCode, raw)
	}
	if calls.Load() != 2 || !sawPage.Load() || !sawModel.Load() {
		t.Errorf("calls %d, page sent %v, model named %v", calls.Load(), sawPage.Load(), sawModel.Load())
	}

	withoutModel := start(api.Options{})
	resp, raw = postJSON(t, withoutModel, body)
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "--llm-url") {
		t.Errorf("without a model: status %d, body %s", resp.StatusCode, raw)
	}
	resp, raw = postJSON(t, withModel, fmt.Sprintf(`{"url": %q}`, site.URL+"/article.html"))
	if resp.StatusCode != 400 || !strings.Contains(string(raw), "prompt") {
		t.Errorf("no prompt or schema: status %d, body %s", resp.StatusCode, raw)
	}
}
