package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sous-dev/sous/fixtures"
	"github.com/sous-dev/sous/session"
)

// TestSessionCommand drives `sous serve`'s sessions with `sous session`,
// as a shell script would: sign in with a secret from the environment,
// save the storage state, and read the page behind the login from a
// second session started from the file.
func TestSessionCommand(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	dataDir := t.TempDir()
	s := startServer(t, "--allow-private", "--data-dir", dataDir, "--max-sessions", "3")
	sous := func(stdin string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command(sousBinary(), append([]string{"session", "--server", s.url}, args...)...)
		cmd.Env = append(os.Environ(), "APP_PASSWORD="+fixtures.AppPassword)
		cmd.Stdin = strings.NewReader(stdin)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		if strings.Contains(out.String()+errOut.String(), "horse") {
			t.Errorf("sous session %v shows the password:\n%s%s", args, out.String(), errOut.String())
		}
		return out.String() + errOut.String(), err
	}
	out, err := sous("", "create", "--secret", "APP_PASSWORD", "--profile", "shop")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	id := strings.TrimSpace(out)
	out, err = sous("", "act", id,
		`{"action":"navigate","url":"`+site.URL+`/app/login"}`,
		`{"action":"type","target":"#username","text":"agent"}`,
		`{"action":"type","target":"#password","secret":"APP_PASSWORD","submit":true}`)
	if err != nil || !strings.Contains(out, "Welcome, agent") {
		t.Fatalf("act: %v\n%s", err, out)
	}
	out, err = sous("", "storage", id)
	if err != nil {
		t.Fatalf("storage: %v\n%s", err, out)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(state, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = sous(`[{"action":"click","target":"#nothing"}]`, "act", id)
	if err == nil || !strings.Contains(out, "FAIL  click") {
		t.Errorf("a failing action: %v\n%s", err, out)
	}
	if out, err = sous("", "close", id); err != nil {
		t.Fatalf("close: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(dataDir, "profiles", "shop.json")); err != nil {
		t.Errorf("the profile was not saved at close: %v", err)
	}

	out, err = sous("", "create", "--storage-state", state)
	if err != nil {
		t.Fatalf("create from state: %v\n%s", err, out)
	}
	second := strings.TrimSpace(out)
	out, err = sous(`{"action":"navigate","url":"`+site.URL+`/app/account"}`, "act", "--formats", "text", "--json", second)
	var res session.ActResult
	if err != nil || json.Unmarshal([]byte(out), &res) != nil || !strings.Contains(res.Text, "Your balance: 42 loaves") {
		t.Errorf("the second session: %v\n%s", err, out)
	}
	out, err = sous("", "list")
	if err != nil || !strings.Contains(out, second) {
		t.Errorf("list: %v\n%s", err, out)
	}
	// Nor do the metrics or the service's log show it.
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for what, text := range map[string]string{"/metrics": string(metrics), "the log": s.stderr.String()} {
		if strings.Contains(text, "horse") {
			t.Errorf("%s shows the password", what)
		}
	}
}
