package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/httpfetch"
	"github.com/sous-dev/sous/render"
)

// crawlServer serves the API with crawl jobs over the shared pool and the
// http engine, until the test ends.
func crawlServer(t *testing.T) string {
	t.Helper()
	svc, err := render.NewService(render.Options{Fetcher: pool, HTTPFetcher: httpfetch.New(httpfetch.Options{}), Extractor: extract.New(), Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	crawls, err := crawl.New(svc, crawl.Options{HTTPClient: &http.Client{}, HostDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	base := serveAPI(t, api.New(svc, api.Options{Crawler: crawls}))
	t.Cleanup(func() { crawls.Close() }) // first: it ends the /events streams Shutdown waits for
	return base
}

func call(t *testing.T, method, url, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// The native routes: create, follow the events to the end, read, page and
// cancel.
func TestCrawlRoutes(t *testing.T) {
	base := crawlServer(t)
	status, body := call(t, "POST", base+"/v1/crawl", fmt.Sprintf(`{"url": %q, "limit": 50, "render": false, "formats": ["markdown"]}`, site.URL+"/site/"))
	var created struct {
		Success bool   `json:"success"`
		Result  string `json:"result"`
	}
	if err := json.Unmarshal(body, &created); err != nil || status != 200 || !created.Success || created.Result == "" {
		t.Fatalf("create: %d %s", status, body)
	}

	// The events: a record event per URL, then done.
	resp, err := http.Get(base + "/v1/crawl/" + created.Result + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("events content type %q", ct)
	}
	events := map[string]int{}
	var done crawl.Progress
	sc := bufio.NewScanner(resp.Body)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
			events[event]++
		case strings.HasPrefix(line, "data: ") && event == "done":
			json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &done)
		}
	}
	if done.Status != crawl.JobCompleted || events["record"] != done.Total+done.Skipped || events["done"] != 1 {
		t.Errorf("events %v, done %+v", events, done)
	}

	status, body = call(t, "GET", base+"/v1/crawl/"+created.Result+"?limit=3&status=completed", "")
	var got struct {
		Success bool         `json:"success"`
		Result  crawl.Result `json:"result"`
	}
	if err := json.Unmarshal(body, &got); err != nil || status != 200 || len(got.Result.Records) != 3 || got.Result.Cursor == nil || *got.Result.Cursor != 3 {
		t.Fatalf("get: %d %.300s", status, body)
	}
	for _, r := range got.Result.Records {
		if r.Status != crawl.RecordCompleted || r.Markdown == "" {
			t.Errorf("record %+v", r)
		}
	}

	// Cancelling the finished job says it had ended; its status stays.
	status, body = call(t, "DELETE", base+"/v1/crawl/"+created.Result, "")
	if status != 200 || bytes.Contains(body, []byte("is cancelled")) || !bytes.Contains(body, []byte(`"status":"completed"`)) {
		t.Errorf("cancel of a finished job: %d %s", status, body)
	}

	tests := []struct {
		name, method, path, body string
		want                     int
	}{
		{"unknown job", "GET", "/v1/crawl/nope", "", 404},
		{"unknown job events", "GET", "/v1/crawl/nope/events", "", 404},
		{"cancel unknown job", "DELETE", "/v1/crawl/nope", "", 404},
		{"unknown field", "POST", "/v1/crawl", `{"url": "https://example.com/", "modifiedSince": 1704067200}`, 400},
		{"unknown purpose", "POST", "/v1/crawl", `{"url": "https://example.com/", "crawlPurposes": ["resale"]}`, 400},
		{"no url", "POST", "/v1/crawl", `{"limit": 3}`, 400},
		{"bad cursor", "GET", "/v1/crawl/" + created.Result + "?cursor=x", "", 400},
		{"bad status", "GET", "/v1/crawl/" + created.Result + "?status=done", "", 400},
		{"cloudflare: unknown job", "GET", "/browser-rendering/crawl/nope", "", 404},
		{"cloudflare: bad request", "POST", "/client/v4/accounts/a/browser-rendering/crawl", `{"url": 7}`, 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, body := call(t, tc.method, base+tc.path, tc.body); status != tc.want {
				t.Errorf("%s %s: %d %s; want %d", tc.method, tc.path, status, body, tc.want)
			}
		})
	}

	// Cancel one that is running; Cloudflare's route ignores what it does not know.
	status, body = call(t, "POST", base+"/browser-rendering/crawl", fmt.Sprintf(`{"url": %q, "limit": 50, "render": false, "modifiedSince": 1704067200}`, site.URL+"/site/"))
	var cf struct {
		Success  bool     `json:"success"`
		Result   string   `json:"result"`
		Messages []string `json:"messages"`
	}
	if err := json.Unmarshal(body, &cf); err != nil || status != 200 || len(cf.Messages) != 1 || !strings.Contains(cf.Messages[0], "modifiedSince") {
		t.Fatalf("cloudflare create: %d %s", status, body)
	}
	if status, body := call(t, "DELETE", base+"/v1/crawl/"+cf.Result, ""); status != 200 || !bytes.Contains(body, []byte(cf.Result)) {
		t.Errorf("cancel: %d %s", status, body)
	}
}

// Cloudflare's official TypeScript client, with only its base URL changed,
// creates a crawl of the fixture site, polls it, pages through its records
// and cancels another.
func TestOfficialCloudflareClientCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("installs an npm package")
	}
	dir := cloudflareClient(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "cloudflare", "resources", "browser-rendering", "crawl.js")); err != nil {
		t.Skip("this version of the cloudflare package has no crawl methods")
	}
	base := crawlServer(t)
	out := runNode(t, dir, "cloudflare-crawl.mjs", base+"/client/v4", site.URL+"/site/")
	var got struct {
		Status, ID               string
		Total, Finished, Skipped int
		Pages                    int
		Records                  []struct {
			URL, Status string
			HTTPStatus  int
			HasMarkdown bool
		}
		Errored   []string
		Cancelled struct {
			JobID   string `json:"job_id"`
			Message string
		}
		AfterCancel string
		NotFound    struct{ Status, Code int }
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &got); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	statuses := map[string]string{}
	for _, r := range got.Records {
		u := strings.TrimPrefix(r.URL, site.URL)
		if _, dup := statuses[u]; dup {
			t.Errorf("%s paged twice", u)
		}
		statuses[u] = r.Status
		if r.Status == "completed" && !r.HasMarkdown {
			t.Errorf("%+v", r)
		}
	}
	for u, want := range fixtures.CrawlSite {
		if statuses[u] != want {
			t.Errorf("%s: %q, want %q", u, statuses[u], want)
		}
	}
	if got.Status != "completed" || got.Total != len(fixtures.CrawlSite)-1 || got.Finished != got.Total || got.Skipped != 1 ||
		got.Pages != (len(got.Records)+3)/4 || len(got.Errored) != 2 ||
		got.Cancelled.JobID == "" || got.AfterCancel != "cancelled_by_user" || got.NotFound.Status != 404 || got.NotFound.Code != 404 {
		t.Errorf("the official client got %+v", got)
	}
}
