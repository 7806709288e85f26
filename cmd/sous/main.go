// Command sous is the Sous rendering service and its command-line client.
//
//	sous serve                 HTTP API on 127.0.0.1:8080
//	sous render URL -f markdown
//
// Run "sous help" or "sous COMMAND --help" for the flags, which may come
// before or after a command's arguments.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitStatus(err, os.Stderr))
}

// exitStatus reports err on stderr in one line and returns the process's
// exit status: 0 for success and for --help, 2 for a mistake in the
// command line, 1 for anything else.
func exitStatus(err error, stderr io.Writer) int {
	var exit exitCode
	var usage *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &exit):
		return int(exit) // what went wrong has been said already
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "sous:", err)
		return 2
	}
	fmt.Fprintln(stderr, "sous:", err)
	return 1
}

// exitCode is an error that asks main for a particular exit status, when
// the reason has already been written out.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// usageError is a mistake in the command line. Its message says what was
// wrong and which --help shows the flags, so that it fits one line.
type usageError struct {
	command string // "render", "eval extraction"; "" for sous itself
	problem string
}

func (e *usageError) Error() string {
	if e.command == "" {
		return fmt.Sprintf("%s (run \"sous help\" for the commands)", e.problem)
	}
	return fmt.Sprintf("%s (run \"sous %s --help\" for the flags)", e.problem, e.command)
}

// version is the build's version, set with
// -ldflags "-X main.version=v1.2.3"; otherwise read from the module's
// build information.
var version = ""

func buildVersion() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := info.Main.Version
	var revision, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if (v == "" || v == "(devel)") && revision != "" {
		v = "devel-" + revision[:min(12, len(revision))] + modified
	}
	if v == "" {
		v = "(devel)"
	}
	return v
}

const usage = `Sous renders web pages for AI agents: markdown, text, links, metadata,
screenshots and PDFs from a warm pool of Chromium browsers.

Usage:
  sous serve [flags]            run the HTTP API (POST /v1/render, GET /healthz)
  sous render URL [flags]       render one page and print it
  sous crawl URL [flags]        crawl a site into a folder of markdown files
  sous session create|act|storage|list|close
                                drive an interactive session on a service
  sous mcp [flags]              serve the MCP tools over stdin/stdout (for agents)
  sous bench [flags]            measure pool throughput and print a table
  sous keygen --out FILE        make a key that signs Sous's requests (Web Bot Auth)
  sous eval extraction [DIR...] score main-content extraction on corpora
  sous help                     show this text
  sous version                  print the version (also --version)

Run "sous COMMAND --help" for a command's flags.
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitCode(2) // the usage says what to do; no error line after it
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "render":
		return renderCommand(ctx, args[1:], stdout, stderr)
	case "crawl":
		return crawlCommand(ctx, args[1:], stdout, stderr)
	case "session":
		return sessionCommand(ctx, args[1:], stdin, stdout)
	case "mcp":
		return mcpCommand(ctx, args[1:], stdin, stdout, stderr)
	case "bench":
		return bench(ctx, args[1:], stdout, stderr)
	case "keygen":
		return keygen(ctx, args[1:], stdout)
	case "eval":
		return evalCommand(ctx, args[1:], stdout, stderr)
	case "isolate-worker": // hidden: started by the script isolates
		return isolateWorker(stdin, stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "sous", buildVersion())
		return nil
	default:
		return &usageError{problem: fmt.Sprintf("unknown command %q", args[0])}
	}
}

// commandFlags are the flags of one subcommand. Flags may come before,
// between and after its arguments, as people type them
// (sous render URL -f markdown -o page.md); "--" ends the flags.
type commandFlags struct {
	*flag.FlagSet
	command  string
	synopsis string
	stdout   io.Writer
	// epilogue, when set, prints more after the flags in --help.
	epilogue func(io.Writer)
}

// newFlagSet returns the flags of the subcommand name, whose --help prints
// the synopsis and the flags to stdout.
func newFlagSet(name, synopsis string, stdout io.Writer) *commandFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	// The flag package prints every parse error followed by the whole
	// usage; parse reports errors in one line instead.
	fs.SetOutput(io.Discard)
	c := &commandFlags{FlagSet: fs, command: name, synopsis: synopsis, stdout: stdout}
	fs.Usage = func() {}
	return c
}

// parse parses args and returns the arguments that are not flags. For
// --help it prints the usage and returns flag.ErrHelp; a bad flag is a
// usageError.
func (c *commandFlags) parse(args []string) ([]string, error) {
	var positional []string
	for {
		if err := c.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.printUsage()
				return nil, err
			}
			return nil, c.usageError("%v", err)
		}
		rest := c.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
}

// usageError is a mistake in this command's command line.
func (c *commandFlags) usageError(format string, args ...any) error {
	return &usageError{command: c.command, problem: fmt.Sprintf(format, args...)}
}

func (c *commandFlags) printUsage() {
	fmt.Fprintf(c.stdout, "Usage: sous %s\n\nFlags:\n", c.synopsis)
	c.SetOutput(c.stdout)
	c.PrintDefaults()
	c.SetOutput(io.Discard)
	if c.epilogue != nil {
		c.epilogue(c.stdout)
	}
}
