package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/sous-dev/sous/api"
	"github.com/sous-dev/sous/client"
	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
)

func renderCommand(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("render", "render URL [flags]\n\nRenders one page in a local Chromium and prints it.", stdout)
	format := fs.String("f", "markdown", "output: markdown, text, html, rawHtml, links, metadata, json (everything, as the API returns it), screenshot or pdf")
	out := fs.String("o", "", "write to this file instead of standard output (needed for screenshot and pdf on a terminal)")
	waitUntil := fs.String("wait-until", "", "when the page counts as loaded: load, domcontentloaded, networkidle0 or networkidle2 (default: after load, until the page is quiet; see --settle)")
	settle := fs.Int("settle", -1, "settle budget in milliseconds: how long after load to wait for the page to go quiet (default 3000, unless --wait-until is given; 0 turns it off)")
	fullPage := fs.Bool("full-page", false, "screenshot the whole page, not just the viewport")
	server := fs.String("server", "", "render on this Sous service (e.g. http://127.0.0.1:8080) instead of a local Chromium")
	token := fs.String("token", os.Getenv("SOUS_TOKEN"), "bearer token for --server (default $SOUS_TOKEN)")
	engine := fs.String("engine", render.EngineAuto, "what loads the page: auto (plain HTTP when the page needs no script), browser or http")
	script := fs.String("script", "", "JavaScript run over the result, with page in scope (or @FILE); prints what it returns, as JSON")
	// One page: its tab need not be warmed, nor a spare one kept.
	eng := engineFlags{cold: true}
	eng.register(fs.FlagSet, 1)
	urls, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(urls) != 1 {
		return fs.usageError("render takes one URL, got %d: %q", len(urls), urls)
	}
	req := &render.Request{URL: urls[0]}
	if *waitUntil != "" {
		req.GotoOptions = &render.GotoOptions{WaitUntil: render.WaitUntil{*waitUntil}}
	}
	if *settle >= 0 {
		req.SettleTimeout = settle
	}
	switch *format {
	case "json":
		req.Formats = []render.Format{render.FormatMarkdown, render.FormatText, render.FormatLinks, render.FormatMetadata}
	default:
		req.Formats = []render.Format{render.Format(*format)}
	}
	req.Engine = *engine
	if name, ok := strings.CutPrefix(*script, "@"); ok {
		b, err := os.ReadFile(name)
		if err != nil {
			return fmt.Errorf("--script: %w", err)
		}
		*script = string(b)
	}
	req.Script = *script
	if *fullPage {
		req.ScreenshotOptions = &render.ScreenshotOptions{FullPage: true}
	}
	if err := req.Validate(); err != nil {
		return err
	}

	var w io.Writer = stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	} else if (*format == "screenshot" || *format == "pdf") && isTerminal(stdout) {
		return fmt.Errorf("-f %s writes binary data; pass -o FILE or redirect standard output", *format)
	}

	var res *render.Result
	if *server != "" {
		c, err := client.New(client.Options{BaseURL: *server, Token: *token})
		if err != nil {
			return err
		}
		if res, err = c.Render(ctx, req); err != nil {
			return err
		}
	} else {
		logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		if req.Script != "" {
			scripts := scriptFlags{workers: 1, script: isolate.DefaultScriptLimits, code: isolate.DefaultCodeLimits, maxRenders: isolate.DefaultMaxRenders}
			isolates, err := scripts.start(ctx, logger, nil)
			if err != nil {
				return err
			}
			defer isolates.Close()
			eng.processor = isolates
		}
		svc, pool, err := eng.startOnDemand(ctx, logger)
		if err != nil {
			return err
		}
		defer pool.Close()
		if res, err = svc.Render(ctx, req); err != nil {
			return err
		}
	}
	if req.Script != "" {
		err = writeJSON(w, res.Script)
	} else {
		err = writeResult(w, *format, res)
	}
	if err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && *out != "" {
		return f.Close()
	}
	return nil
}

func writeResult(w io.Writer, format string, res *render.Result) error {
	var err error
	switch format {
	case "markdown":
		_, err = io.WriteString(w, withNewline(res.Markdown))
	case "text":
		_, err = io.WriteString(w, withNewline(res.Text))
	case "html":
		_, err = io.WriteString(w, withNewline(res.HTML))
	case "rawHtml":
		_, err = io.WriteString(w, withNewline(res.RawHTML))
	case "links":
		for _, l := range res.Links {
			if _, err = fmt.Fprintf(w, "%s\t%s\n", l.URL, l.Text); err != nil {
				return err
			}
		}
	case "metadata":
		err = writeJSON(w, res.Metadata)
	case "json":
		err = writeJSON(w, api.Envelope{Success: true, Result: res, Meta: &res.Meta, Errors: []api.Error{}})
	case "screenshot":
		_, err = w.Write(res.Screenshot)
	case "pdf":
		_, err = w.Write(res.PDF)
	}
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func withNewline(s string) string {
	if s == "" || strings.HasSuffix(s, "\n") {
		return s
	}
	return s + "\n"
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
