package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/client"
	"github.com/sous-dev/sous/extract"
	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// sessionFlags are serve's flags for interactive sessions.
type sessionFlags struct {
	max         int
	ttl         time.Duration
	dataDir     string
	secretsFile string
}

func (f *sessionFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.max, "max-sessions", session.DefaultMaxSessions(), "interactive sessions open at once, each in its own browser context; more get 429 (0 turns sessions off; default from the machine's memory)")
	fs.DurationVar(&f.ttl, "session-ttl", 300*time.Second, "how long a session may stay idle when its creator sets no ttl (at most 1h)")
	fs.StringVar(&f.dataDir, "data-dir", "", "directory for session profiles (named storage states, files 0600); without it, profiles are refused")
	fs.StringVar(&f.secretsFile, "secrets", "", "file of NAME=VALUE lines: secrets the MCP tools browser_type and browser_fill_form type when given a secret's NAME; replies show «secret:NAME»")
}

// manager starts the session manager over pool, or returns nil when
// sessions are off.
func (f *sessionFlags) manager(pool *browserpool.Pool, logger *slog.Logger) (*session.Manager, error) {
	if f.max < 0 {
		return nil, fmt.Errorf("--max-sessions must be 0 or more")
	}
	if f.max == 0 {
		return nil, nil
	}
	if f.ttl <= 0 || f.ttl > time.Hour {
		return nil, fmt.Errorf("--session-ttl must be between 1s and 1h")
	}
	if f.dataDir != "" {
		if err := os.MkdirAll(f.dataDir, 0o700); err != nil {
			return nil, fmt.Errorf("--data-dir: %w", err)
		}
	}
	return session.NewManager(session.Options{Browser: pool, Extractor: extract.New(), MaxSessions: f.max, DefaultTTL: f.ttl, DataDir: f.dataDir, Logger: logger})
}

// secrets reads --secrets.
func (f *sessionFlags) secrets() (map[string]string, error) {
	if f.secretsFile == "" {
		return nil, nil
	}
	file, err := os.Open(f.secretsFile)
	if err != nil {
		return nil, fmt.Errorf("--secrets: %w", err)
	}
	defer file.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(file)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("--secrets: line %d is not NAME=VALUE", n)
		}
		out[strings.TrimSpace(name)] = value
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--secrets: %w", err)
	}
	return out, nil
}

// sessionCommand is `sous session`: a service's sessions from the shell.
func sessionCommand(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := newFlagSet("session", "session create|act|storage|list|close [flags] [ID] [ACTION…]\n\n"+
		"Drives an interactive session on a Sous service (--server), for shell scripts:\n"+
		"  id=$(sous session create --secret PASSWORD)         prints the new session's id\n"+
		"  sous session act $id '{\"action\":\"navigate\",\"url\":\"https://example.com/login\"}' \\\n"+
		"       '{\"action\":\"type\",\"target\":\"#password\",\"secret\":\"PASSWORD\",\"submit\":true}'\n"+
		"                                                       runs actions (JSON objects; none: read from stdin)\n"+
		"                                                       and prints the snapshot; exits 1 when one fails\n"+
		"  sous session storage $id > state.json                Playwright storage state\n"+
		"  sous session create --storage-state state.json      a session starting from it\n"+
		"  sous session close $id", stdout)
	server := fs.String("server", os.Getenv("SOUS_SERVER"), "the Sous service (default $SOUS_SERVER, else http://127.0.0.1:8080)")
	token := fs.String("token", os.Getenv("SOUS_TOKEN"), "bearer token for --server (default $SOUS_TOKEN)")
	ttl := fs.Int("ttl", 0, "create: idle seconds before the session ends (default the service's)")
	stateFile := fs.String("storage-state", "", "create: start from this Playwright storage-state file")
	profile := fs.String("profile", "", "create: a named profile on the service, loaded now and saved at close")
	var secretNames stringList
	fs.Var(&secretNames, "secret", "create: a secret NAME (its value from $NAME) or NAME=@FILE; typed by {\"secret\": NAME}, never shown (repeatable)")
	formats := fs.String("formats", "", "act: also return these, comma-separated: markdown, text, links, html")
	full := fs.Bool("full", false, "act: the whole snapshot, not what changed")
	asJSON := fs.Bool("json", false, "print the service's whole reply as JSON")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return fs.usageError("say which: create, act, storage, list or close")
	}
	if *server == "" {
		*server = "http://127.0.0.1:8080"
	}
	c, err := client.New(client.Options{BaseURL: *server, Token: *token})
	if err != nil {
		return err
	}
	print := func(v any) error {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	verb, rest := rest[0], rest[1:]
	needID := func() (string, error) {
		if len(rest) == 0 {
			return "", fs.usageError("%s needs a session id", verb)
		}
		return rest[0], nil
	}
	switch verb {
	case "create":
		req := &session.CreateRequest{TTL: *ttl, Profile: *profile}
		if *stateFile != "" {
			b, err := os.ReadFile(*stateFile)
			if err != nil {
				return fmt.Errorf("--storage-state: %w", err)
			}
			if err := json.Unmarshal(b, &req.StorageState); err != nil {
				return fmt.Errorf("--storage-state: not a storage state: %w", err)
			}
		}
		for _, s := range secretNames {
			name, file, fromFile := strings.Cut(s, "=@")
			value := os.Getenv(name)
			if fromFile {
				b, err := os.ReadFile(file)
				if err != nil {
					return fmt.Errorf("--secret %s: %w", name, err)
				}
				value = strings.TrimRight(string(b), "\r\n")
			}
			if value == "" {
				return fmt.Errorf("--secret %s: no value; set $%s or give %s=@FILE", name, name, name)
			}
			if req.Secrets == nil {
				req.Secrets = map[string]string{}
			}
			req.Secrets[name] = value
		}
		info, err := c.CreateSession(ctx, req)
		if err != nil {
			return err
		}
		if *asJSON {
			return print(info)
		}
		_, err = fmt.Fprintln(stdout, info.ID)
		return err
	case "act":
		id, err := needID()
		if err != nil {
			return err
		}
		req := &session.ActRequest{}
		if *full {
			req.Snapshot = session.SnapshotFull
		}
		for f := range strings.SplitSeq(*formats, ",") {
			if f = strings.TrimSpace(f); f != "" {
				req.Formats = append(req.Formats, render.Format(f))
			}
		}
		if req.Actions, err = readActions(rest[1:], stdin); err != nil {
			return err
		}
		res, err := c.Act(ctx, id, req)
		if err != nil {
			return err
		}
		if *asJSON {
			if err := print(res); err != nil {
				return err
			}
		} else {
			printActResult(stdout, res)
		}
		if failed := res.Failed(); failed != nil {
			return failed
		}
		return nil
	case "storage":
		id, err := needID()
		if err != nil {
			return err
		}
		state, err := c.SessionStorage(ctx, id)
		if err != nil {
			return err
		}
		return print(state)
	case "list":
		list, err := c.Sessions(ctx)
		if err != nil {
			return err
		}
		return print(list)
	case "close":
		id, err := needID()
		if err != nil {
			return err
		}
		return c.CloseSession(ctx, id)
	}
	return fs.usageError("unknown session command %q: use create, act, storage, list or close", verb)
}

// readActions decodes actions from the arguments, one JSON object each, or
// when there are none from stdin: a JSON array of them, or one per line.
func readActions(args []string, stdin io.Reader) ([]session.Action, error) {
	var actions []session.Action
	if len(args) == 0 {
		b, err := io.ReadAll(stdin)
		if err != nil {
			return nil, err
		}
		if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "[") {
			if err := json.Unmarshal([]byte(t), &actions); err != nil {
				return nil, fmt.Errorf("actions from stdin: %w", err)
			}
			return actions, nil
		}
		args = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	for i, a := range args {
		if strings.TrimSpace(a) == "" {
			continue
		}
		var action session.Action
		dec := json.NewDecoder(strings.NewReader(a))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&action); err != nil {
			return nil, fmt.Errorf("action %d is not a JSON action such as {\"action\":\"click\",\"target\":\"e12\"}: %w", i+1, err)
		}
		actions = append(actions, action)
	}
	return actions, nil
}

// printActResult writes a reply for people: each step, the page, the tabs
// and the snapshot, then any text formats.
func printActResult(w io.Writer, res *session.ActResult) {
	for _, st := range res.Steps {
		if st.OK {
			fmt.Fprintf(w, "ok    %s\n", st.Action)
		} else {
			fmt.Fprintf(w, "FAIL  %s: %s (%s)\n", st.Action, st.Error.Message, st.Error.Code)
		}
	}
	fmt.Fprintf(w, "url:   %s\ntitle: %s\n", res.URL, res.Title)
	if len(res.Tabs) > 1 {
		for _, t := range res.Tabs {
			mark := " "
			if t.Active {
				mark = "*"
			}
			fmt.Fprintf(w, "tab %d%s %s\n", t.Index, mark, t.URL)
		}
	}
	if d := res.Dialog; d != nil {
		fmt.Fprintf(w, "dialog: %s %q (answer with {\"action\":\"dialog\",\"accept\":true})\n", d.Type, d.Message)
	}
	if res.Snapshot != "" {
		fmt.Fprintf(w, "snapshot (%s):\n%s\n", res.SnapshotMode, res.Snapshot)
	}
	for _, f := range []struct{ name, text string }{{"markdown", res.Markdown}, {"text", res.Text}, {"html", res.HTML}} {
		if f.text != "" {
			fmt.Fprintf(w, "%s:\n%s\n", f.name, f.text)
		}
	}
	for _, l := range res.Links {
		fmt.Fprintf(w, "link: %s %s\n", l.URL, l.Text)
	}
}
