package mcpbridge_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/mcpbridge"
	"github.com/sous-dev/sous/render"
)

// One Chromium and one fixtures server for the whole test binary, as in the
// other packages; each test gets its own MCP server and client session.
var (
	site    *fixtures.Server
	service *render.Service
	pool    *browserpool.Pool
)

// renderTimeout is the deadline of every render in these tests: long enough
// for any fixture page on a 2-core machine beside four busy processes (a
// full-page screenshot of a tall page ran out of 8 s there), short enough
// that the timeout test, which runs beside the others, does not drag.
const renderTimeout = 20 * time.Second

func TestMain(m *testing.M) {
	isolate.ServeIfWorker() // this binary is also the run_code workers (runcode_test.go)
	site = fixtures.Start()
	var err error
	pool, err = browserpool.New(context.Background(), browserpool.Options{Tabs: 2, AllowPrivate: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	service, err = render.NewService(render.Options{Fetcher: pool, Extractor: extract.New(), Concurrency: 2, DefaultTimeout: renderTimeout})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	service.Close()
	pool.Close()
	site.Close()
	os.Exit(code)
}

// rendererFunc adapts a function to mcpbridge.Renderer, for tests that need
// a particular failure rather than a browser.
type rendererFunc func(context.Context, *render.Request) (*render.Result, error)

func (f rendererFunc) Render(ctx context.Context, req *render.Request) (*render.Result, error) {
	return f(ctx, req)
}

// transports are the two ways these tests reach a server: in process, and
// over real HTTP through NewHandler.
var transports = []string{"in-memory", "http"}

// connect returns a client session to a new mcpbridge server over r, by the
// named transport. It ends with the test.
func connect(t *testing.T, transport string, r mcpbridge.Renderer, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	srv, err := mcpbridge.NewServer(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	return connectTo(t, transport, srv, opts)
}

// connectTo returns a client session to srv by the named transport. It ends
// with the test.
func connectTo(t *testing.T, transport string, srv *mcp.Server, opts *mcp.ClientOptions) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, opts)
	var ct mcp.Transport
	switch transport {
	case "in-memory":
		serverSide, clientSide := mcp.NewInMemoryTransports()
		ss, err := srv.Connect(ctx, serverSide, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ss.Close() })
		ct = clientSide
	case "http":
		h, err := mcpbridge.NewHandler(srv, nil)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(h)
		t.Cleanup(hs.Close)
		ct = &mcp.StreamableClientTransport{Endpoint: hs.URL, MaxRetries: -1}
	default:
		t.Fatalf("unknown transport %q", transport)
	}
	cs, err := client.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close() })
	return cs
}

// call calls a tool and fails the test on a protocol error.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	// Two minutes: the tools tests run their calls in parallel against a
	// service rendering two at a time, and beside four busy processes a
	// call waited out one minute in its queue.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s %v: %v", tool, args, err)
	}
	return res
}

// text joins the text contents of res.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}
