// Command sous is the Sous rendering service and its command-line client.
//
//	sous serve                 HTTP API on 127.0.0.1:8080
//	sous render URL -f markdown
//
// Run "sous help" or "sous COMMAND --help" for the flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "sous:", err)
		}
		var exit exitCode
		if errors.As(err, &exit) {
			os.Exit(int(exit))
		}
		os.Exit(1)
	}
}

// exitCode is an error that asks main for a particular exit status.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

const usage = `Sous renders web pages for AI agents: markdown, text, links, metadata,
screenshots and PDFs from a warm pool of Chromium browsers.

Usage:
  sous serve [flags]            run the HTTP API (POST /v1/render, GET /healthz)
  sous render [flags] URL       render one page and print it
  sous crawl [flags] URL        crawl a site into a folder of markdown files
  sous mcp [flags]              serve the MCP tools over stdin/stdout (for agents)
  sous bench [flags]            measure pool throughput and print a table
  sous eval extraction [DIR...] score main-content extraction on corpora
  sous help                     show this text

Run "sous COMMAND --help" for a command's flags.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCode(2)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "render":
		return renderCommand(ctx, args[1:], stdout, stderr)
	case "crawl":
		return crawlCommand(ctx, args[1:], stdout, stderr)
	case "mcp":
		return mcpCommand(ctx, args[1:], stdin, stdout, stderr)
	case "bench":
		return bench(ctx, args[1:], stdout, stderr)
	case "eval":
		return evalCommand(ctx, args[1:], stdout, stderr)
	case "isolate-worker": // hidden: started by the script isolates
		return isolateWorker(stdin, stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "sous: unknown command %q\n\n%s", args[0], usage)
		return exitCode(2)
	}
}

// newFlagSet returns a flag set that prints its usage with a synopsis and
// reports errors instead of exiting.
func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: sous %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
