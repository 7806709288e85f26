package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func postJSON(t *testing.T, url, body string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// Each Cloudflare route answers in Cloudflare's shape, under both prefixes.
func TestCloudflareRoutes(t *testing.T) {
	page := fmt.Sprintf(`{"url": %q, "bestAttempt": true, "someFutureOption": 1}`, site.URL+"/article.html")
	for _, prefix := range []string{"/client/v4/accounts/abc123/browser-rendering", "/browser-rendering"} {
		t.Run(prefix, func(t *testing.T) {
			var env struct {
				Success  bool            `json:"success"`
				Result   json.RawMessage `json:"result"`
				Errors   []any           `json:"errors"`
				Messages []any           `json:"messages"`
				Meta     struct {
					Ignored []string `json:"ignored"`
				} `json:"meta"`
			}
			check := func(action string, want func(json.RawMessage) error) {
				resp, body := postJSON(t, baseURL+prefix+"/"+action, page)
				env.Result, env.Meta.Ignored = nil, nil
				if err := json.Unmarshal(body, &env); err != nil || resp.StatusCode != 200 || !env.Success || env.Errors == nil || env.Messages == nil {
					t.Fatalf("%s: status %d, body %.300s", action, resp.StatusCode, body)
				}
				if strings.Join(env.Meta.Ignored, ",") != "bestAttempt,someFutureOption" {
					t.Errorf("%s: meta.ignored = %v", action, env.Meta.Ignored)
				}
				if err := want(env.Result); err != nil {
					t.Errorf("%s: %v", action, err)
				}
			}
			check("content", func(r json.RawMessage) error {
				var s string
				if json.Unmarshal(r, &s) != nil || !strings.Contains(s, "<html") {
					return fmt.Errorf("result is not the page's HTML: %.100s", r)
				}
				return nil
			})
			check("markdown", func(r json.RawMessage) error {
				var s string
				if json.Unmarshal(r, &s) != nil || !strings.Contains(s, "ourdough") {
					return fmt.Errorf("result is not the page's markdown: %.100s", r)
				}
				return nil
			})
			check("links", func(r json.RawMessage) error {
				var urls []string
				if json.Unmarshal(r, &urls) != nil || len(urls) == 0 || !strings.HasPrefix(urls[0], "http") {
					return fmt.Errorf("result is not a list of URLs: %.100s", r)
				}
				return nil
			})
			check("snapshot", func(r json.RawMessage) error {
				var s struct{ Content, Screenshot string }
				if json.Unmarshal(r, &s) != nil || !strings.Contains(s.Content, "<html") || len(s.Screenshot) < 100 {
					return fmt.Errorf("result is not {content, screenshot}: %.100s", r)
				}
				return nil
			})
			t.Run("scrape", func(t *testing.T) {
				body := fmt.Sprintf(`{"url": %q, "elements": [{"selector": "h1"}, {"selector": "a"}]}`, site.URL+"/article.html")
				resp, raw := postJSON(t, baseURL+prefix+"/scrape", body)
				var env struct {
					Success bool `json:"success"`
					Result  []struct {
						Selector string `json:"selector"`
						Results  []struct {
							Text       string  `json:"text"`
							HTML       string  `json:"html"`
							Attributes []any   `json:"attributes"`
							Width      float64 `json:"width"`
							Height     float64 `json:"height"`
						} `json:"results"`
					} `json:"result"`
				}
				if err := json.Unmarshal(raw, &env); err != nil || resp.StatusCode != 200 || !env.Success || len(env.Result) != 2 {
					t.Fatalf("status %d, body %.300s", resp.StatusCode, raw)
				}
				h1 := env.Result[0]
				if h1.Selector != "h1" || len(h1.Results) != 1 || !strings.Contains(h1.Results[0].Text, "ourdough") || h1.Results[0].Width <= 0 {
					t.Errorf("h1: %+v", h1)
				}
				if len(env.Result[1].Results) < 3 || env.Result[1].Results[0].Attributes == nil {
					t.Errorf("links: %+v", env.Result[1])
				}
			})
			for action, want := range map[string]struct {
				contentType string
				magic       []byte
			}{
				"screenshot": {"image/png", []byte("\x89PNG")},
				"pdf":        {"application/pdf", []byte("%PDF-")},
			} {
				resp, body := postJSON(t, baseURL+prefix+"/"+action, page)
				if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != want.contentType || !bytes.HasPrefix(body, want.magic) {
					t.Errorf("%s: status %d, type %q, body starts %q", action, resp.StatusCode, resp.Header.Get("Content-Type"), body[:min(8, len(body))])
				}
			}
		})
	}
}

func TestCloudflareErrors(t *testing.T) {
	tests := []struct {
		name, action, body string
		want               int
	}{
		{"no url or html", "content", `{}`, 400},
		{"wrong type", "markdown", `{"url": 7}`, 400},
		{"not an object", "links", `[1, 2]`, 400},
		{"page that fails", "content", `{"url": "http://127.0.0.1:1/"}`, 422},
		{"unknown route", "teleport", `{"url": "https://example.com"}`, 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := postJSON(t, baseURL+"/client/v4/accounts/x/browser-rendering/"+tc.action, tc.body)
			var env struct {
				Success bool `json:"success"`
				Errors  []struct {
					Code    int    `json:"code"`
					Message string `json:"message"`
				} `json:"errors"`
			}
			if err := json.Unmarshal(body, &env); err != nil {
				t.Fatalf("body %.200s: %v", body, err)
			}
			if resp.StatusCode != tc.want || env.Success || len(env.Errors) != 1 || env.Errors[0].Code != tc.want || env.Errors[0].Message == "" {
				t.Errorf("status %d, %+v; want %d", resp.StatusCode, env, tc.want)
			}
		})
	}
}

// Cloudflare's official TypeScript client, with only its base URL changed,
// gets content, markdown, links, scraped elements, the accessibility tree, a
// snapshot, a screenshot and a PDF.
func TestOfficialCloudflareClient(t *testing.T) {
	if testing.Short() {
		t.Skip("installs an npm package")
	}
	out := runNode(t, cloudflareClient(t), "cloudflare-client.mjs", baseURL+"/client/v4", site.URL+"/article.html")
	var got struct {
		Content         string   `json:"content"`
		MarkdownHasText bool     `json:"markdownHasText"`
		Links           int      `json:"links"`
		Snapshot        []string `json:"snapshot"`
		AXRoot          string   `json:"axRoot"`
		Scrape          []struct {
			Selector, Text string
			HasBox         bool
		} `json:"scrape"`
		ScreenshotBytes int    `json:"screenshotBytes"`
		PDFHead         string `json:"pdfHead"`
		BadRequest      struct{ Status, Code int }
	}
	if err := json.Unmarshal(bytes.TrimSpace(out), &got); err != nil {
		t.Fatalf("output %s: %v", out, err)
	}
	if !strings.Contains(got.Content, "<html") || !got.MarkdownHasText || got.Links == 0 ||
		strings.Join(got.Snapshot, ",") != "content,screenshot" || got.ScreenshotBytes < 1000 || got.PDFHead != "%PDF-" ||
		got.BadRequest.Status != 400 || got.BadRequest.Code != 400 || got.AXRoot != "RootWebArea" ||
		len(got.Scrape) != 1 || got.Scrape[0].Selector != "h1" || !strings.Contains(got.Scrape[0].Text, "ourdough") || !got.Scrape[0].HasBox {
		t.Errorf("the official client got %+v", got)
	}
}

// cloudflareClient installs Cloudflare's npm client (cloudflare@7) once per
// machine, in the user's cache directory (~/.cache/sous), and returns where:
// 120 MB that tests must not leave in /tmp, and that a second run reuses.
// It skips the test when node or npm is missing or the install fails (no
// registry).
func cloudflareClient(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed; skipping the official Cloudflare client test", tool)
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Skipf("no cache directory for the Cloudflare client: %v", err)
	}
	dir := filepath.Join(cache, "sous", "cloudflare-client")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "cloudflare")); err != nil {
		os.MkdirAll(dir, 0o755)
		install := exec.Command("npm", "install", "--no-audit", "--no-fund", "--prefix", dir, "cloudflare@7")
		if out, err := install.CombinedOutput(); err != nil {
			t.Skipf("npm could not install the cloudflare package: %v\n%s", err, out)
		}
	}
	return dir
}

// runNode runs testdata/script with node against the client installed in
// dir, and returns what it printed.
func runNode(t *testing.T, dir, script string, args ...string) []byte {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("testdata", script))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", append([]string{path}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(dir, "node_modules"))
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	return out
}
