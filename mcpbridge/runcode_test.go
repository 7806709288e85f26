package mcpbridge_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/mcpbridge"
)

// connectWithCode is connect for a server with code mode: real isolate
// workers (this test binary) running programs over the shared service.
func connectWithCode(t *testing.T, transport string) *mcp.ClientSession {
	t.Helper()
	isolates, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { isolates.Close() })
	srv, err := mcpbridge.NewServer(service, &mcpbridge.Options{Programs: isolates.Programs(service)})
	if err != nil {
		t.Fatal(err)
	}
	return connectTo(t, transport, srv, nil)
}

func TestRunCode(t *testing.T) {
	for _, transport := range transports {
		t.Run(transport, func(t *testing.T) {
			cs := connectWithCode(t, transport)
			tools, err := cs.ListTools(context.Background(), nil)
			if err != nil {
				t.Fatal(err)
			}
			var tool *mcp.Tool
			for _, tl := range tools.Tools {
				if tl.Name == "run_code" {
					tool = tl
				}
			}
			if tool == nil {
				t.Fatal("no run_code tool")
			}
			for _, want := range []string{"sous.render(", "sous.links(", "sous.scrape(", "Promise.all", "Example:"} {
				if !strings.Contains(tool.Description, want) {
					t.Errorf("the description does not teach %s:\n%s", want, tool.Description)
				}
			}

			res := call(t, cs, "run_code", map[string]any{"code": fmt.Sprintf(`
				const [article, about] = await Promise.all([sous.render(%q), sous.render({url: %q, formats: ["metadata"]})]);
				console.log("both rendered");
				return {article: article.meta.title, about: about.metadata.title}`, site.URL+"/article.html", site.URL+"/about.html")})
			if res.IsError {
				t.Fatalf("run_code failed: %s", text(res))
			}
			for _, want := range []string{"made 2 renders", "untrusted web content", `"article": "Why Your Sourdough Starter Sulks in Winter | The Crumb Ledger"`, `"about": "About | The Crumb Ledger"`, "Logs:\nboth rendered"} {
				if !strings.Contains(text(res), want) {
					t.Errorf("no %q in:\n%s", want, text(res))
				}
			}

			// Code mode goes through the same default path: the page a
			// script redirect leads to, and the chain that led there.
			res = call(t, cs, "run_code", map[string]any{"code": fmt.Sprintf(`
				const page = await sous.render(%q);
				return {url: page.meta.url, title: page.meta.title}`, site.URL+"/fidelity/script-redirect.html")})
			if res.IsError || !strings.Contains(text(res), `"url": "`+site.URL+`/fidelity/target.html"`) || !strings.Contains(text(res), `"title": "You have arrived"`) {
				t.Errorf("run_code over a script redirect: %s", text(res))
			}

			res = call(t, cs, "run_code", map[string]any{"code": "console.log('start')\nreturn nosuch.thing"})
			if !res.IsError {
				t.Fatalf("a failing program is not an error: %s", text(res))
			}
			for _, want := range []string{"Error (script_error): ReferenceError: nosuch is not defined (line 2, column 8)", "Fix the code", "Logs:\nstart"} {
				if !strings.Contains(text(res), want) {
					t.Errorf("no %q in:\n%s", want, text(res))
				}
			}
		})
	}
}
