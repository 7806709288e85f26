package mcpbridge_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/crawl"
	"github.com/sous-dev/sous/mcpbridge"
)

// The crawl tool crawls the fixture site, reports progress as pages
// finish, and returns their markdown within its budget.
func TestCrawlTool(t *testing.T) {
	crawls, err := crawl.New(service, crawl.Options{HTTPClient: &http.Client{}, HostDelay: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer crawls.Close()
	srv, err := mcpbridge.NewServer(service, &mcpbridge.Options{Crawler: crawls})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var progress []string
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			mu.Lock()
			progress = append(progress, req.Params.Message)
			mu.Unlock()
		},
	})
	serverSide, clientSide := mcp.NewInMemoryTransports()
	ctx := context.Background()
	ss, err := srv.Connect(ctx, serverSide, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := client.Connect(ctx, clientSide, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{
		Name: "crawl", Arguments: map[string]any{"url": site.URL + "/site/", "limit": 4}, Meta: mcp.Meta{"progressToken": "c1"},
	})
	if err != nil || res.IsError {
		t.Fatalf("crawl: %v %s", err, text(res))
	}
	got := text(res)
	for _, want := range []string{"Untrusted web content", "4 pages completed", "=== Crawl site home", "=== Page A", "=== Only in the sitemap", "=== Docs", "URL: " + site.URL + "/site/a.html"} {
		if !strings.Contains(got, want) {
			t.Errorf("the result lacks %q:\n%s", want, got)
		}
	}
	// Notifications travel apart from the result, and the client handles
	// them on its own goroutine: the last may land just after the result.
	received := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), progress...)
	}
	for deadline := time.Now().Add(10 * time.Second); len(received()) < 4 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := received(); len(got) != 4 || !strings.HasPrefix(got[0], "completed ") {
		t.Errorf("progress notifications: %q", got)
	}

	small := call(t, cs, "crawl", map[string]any{"url": site.URL + "/site/", "limit": 4, "maxChars": 600})
	if got := text(small); small.IsError || !strings.Contains(got, "Out of room at maxChars 600") || len(got) > 2000 {
		t.Errorf("with maxChars 600:\n%s", got)
	}
	if bad := call(t, cs, "crawl", map[string]any{"url": "ftp://example.com/"}); !bad.IsError {
		t.Errorf("a bad url: %s", text(bad))
	}
}
