// Package mcpbridge offers Sous's render capabilities to AI agents as MCP
// tools, built on the official Go SDK (github.com/modelcontextprotocol/go-sdk).
// It knows nothing about browsers or HTTP frameworks: it calls a Renderer
// (render.Service) and turns results into tool results a model can use.
//
// The tools are render (markdown, text, html, links or metadata), screenshot
// (an image), pdf (an embedded resource) and links, and crawl (a bounded
// same-site crawl through Options.Crawler, with a progress notification per
// page) when a Crawler is given, and run_code (a JavaScript program that
// renders pages through a sous object in an isolate) when Options.Programs
// is given. Their output is shaped for
// a context window: text comes in pages of at most maxChars characters with a
// note saying how to get the next page, images are scaled down to a byte and
// size budget, and page content is labelled as untrusted so that a model
// reads it as data rather than instructions. A failed render is a tool result
// with IsError set and a message saying what to do next; protocol errors are
// left for malformed calls.
//
// One Server serves any number of sessions, over any transport:
//
//	srv, err := mcpbridge.NewServer(service, nil)
//	// stdio, for agents that start Sous as a subprocess:
//	err = srv.Run(ctx, &mcp.StdioTransport{})
//	// streamable HTTP, with Origin and Host checks:
//	h, err := mcpbridge.NewHandler(srv, nil)
//	http.Handle("/mcp", h)
package mcpbridge
