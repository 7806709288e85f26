package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/mcpbridge"
	"github.com/sous-dev/sous/render"
)

// mcpCommand is `sous mcp`: the MCP tools over standard input and output,
// for agents that start their tools as subprocesses. Standard output carries
// the protocol and nothing else; logs go to standard error.
func mcpCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("mcp", "mcp [flags]\n\n"+
		"Serves Sous's MCP tools (render, screenshot, pdf, links, run_code …) over standard input and\n"+
		"output, for agents that launch tools as subprocesses. Logs go to standard error.\n"+
		"In an MCP client's configuration: {\"command\": \"sous\", \"args\": [\"mcp\"]}", stdout)
	var eng engineFlags
	eng.register(fs.FlagSet, 2)
	var scripts scriptFlags
	scripts.register(fs.FlagSet)
	var sessionOpts sessionFlags
	sessionOpts.register(fs.FlagSet)
	if rest, err := fs.parse(args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fs.usageError("mcp takes no arguments, got %q", rest)
	}
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	isolates, err := scripts.start(ctx, logger, nil)
	if err != nil {
		return err
	}
	if isolates != nil {
		defer isolates.Close()
		eng.processor = isolates
	}
	svc, pool, err := eng.start(ctx, logger)
	if err != nil {
		return err
	}
	defer pool.Close()
	defer svc.Close()
	crawls, err := stdioCrawls.manager(svc, &eng, nil, logger)
	if err != nil {
		return err
	}
	defer crawls.Close()
	sessions, err := sessionOpts.manager(pool, logger)
	if err != nil {
		return err
	}
	opts := &mcpbridge.Options{Logger: logger, Programs: programs(isolates, svc, sessions), Crawler: crawls}
	if sessions != nil {
		defer sessions.Close() // before the pool
		opts.Sessions = sessions
	}
	if opts.Secrets, err = sessionOpts.secrets(); err != nil {
		return err
	}
	srv, err := mcpbridge.NewServer(svc, opts)
	if err != nil {
		return err
	}
	in, ok := stdin.(io.ReadCloser)
	if !ok {
		in = io.NopCloser(stdin)
	}
	logger.Info("serving MCP on standard input and output", "allowPrivate", eng.allowPrivate)
	err = srv.Run(ctx, &mcp.IOTransport{Reader: in, Writer: nopWriteCloser{stdout}})
	if ctx.Err() != nil || errors.Is(err, io.EOF) {
		return nil // a signal, or the client closed our input: both are the normal end
	}
	return err
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// mcpFlags are serve's flags for its /mcp endpoint.
type mcpFlags struct {
	allowedOrigins []string
	crawler        mcpbridge.Crawler // set by serve: the crawl tool's jobs
	// Set by serve: the browser_* tools' sessions (nil: no such tools)
	// and the secrets they may type.
	sessions mcpbridge.Sessions
	secrets  map[string]string
}

func (f *mcpFlags) register(fs *flag.FlagSet) {
	add := func(s string) error {
		for o := range strings.SplitSeq(s, ",") {
			if o = strings.TrimSpace(o); o != "" {
				if err := api.CheckOrigin(o); err != nil {
					return fmt.Errorf("%q is not an origin such as https://app.example.com", o)
				}
				f.allowedOrigins = append(f.allowedOrigins, o)
			}
		}
		return nil
	}
	fs.Func("allow-origin", "an origin (https://app.example.com) whose web pages may call the API and /mcp from a browser, with CORS; repeat or separate with commas (default: none; clients that are not browsers send no Origin and are not affected)", add)
	fs.Func("mcp-allow-origin", "the same as --allow-origin (its older name)", add)
}

// mount serves the MCP tools over streamable HTTP at /mcp on the API;
// code mode (run_code) when programs is not nil.
func (f *mcpFlags) mount(apiServer *api.Server, r mcpbridge.Renderer, programs render.ProgramRunner, logger *slog.Logger) error {
	srv, err := mcpbridge.NewServer(r, &mcpbridge.Options{Logger: logger, Programs: programs, Crawler: f.crawler, Sessions: f.sessions, Secrets: f.secrets})
	if err != nil {
		return err
	}
	// The browser_* tools keep a browser per MCP session, so with them the
	// endpoint hands out session ids.
	h, err := mcpbridge.NewHandler(srv, &mcpbridge.HandlerOptions{AllowedOrigins: f.allowedOrigins, Logger: logger, Stateful: f.sessions != nil})
	if err != nil {
		return fmt.Errorf("--mcp-allow-origin: %w", err)
	}
	// No auth here: --token is api's middleware, in front of every route.
	apiServer.Handle("/mcp", h)
	return nil
}
