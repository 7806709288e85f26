package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// isolateWorkers counts the running `sous isolate-worker` processes of
// binary.
func isolateWorkers(binary string) int {
	n := 0
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range paths {
		b, _ := os.ReadFile(p)
		if bytes.Equal(b, []byte(binary+"\x00isolate-worker\x00")) {
			n++
		}
	}
	return n
}

func (s *server) post(t *testing.T, path, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(s.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var reply map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil {
		t.Fatalf("decoding reply: %v", err)
	}
	return resp.StatusCode, reply
}

// TestServeScripts: sous serve runs scripts and programs in its workers,
// reports them in its metrics, and its workers die with it, kill -9
// included.
func TestServeScripts(t *testing.T) {
	before := isolateWorkers(sousBinary())
	s := startServer(t, "--script-workers", "3", "--script-timeout", "500ms")
	if n := isolateWorkers(sousBinary()) - before; n != 3 {
		t.Fatalf("%d workers, want 3", n)
	}

	status, reply := s.post(t, "/v1/render", `{"html": "<title>T</title><h1>Hi</h1>", "script": "return page.markdown.toUpperCase()"}`)
	if status != 200 || reply["result"].(map[string]any)["script"] != "# HI" {
		t.Errorf("render with a script: %d %v", status, reply)
	}
	status, reply = s.post(t, "/v1/render", `{"html": "<title>T</title>", "script": "while (true) {}"}`)
	if errs, _ := reply["errors"].([]any); status != 422 || len(errs) != 1 || errs[0].(map[string]any)["code"] != "script_timeout" {
		t.Errorf("an endless script: %d %v", status, reply)
	}
	status, reply = s.post(t, "/v1/run", `{"code": "console.log('hi'); const r = await sous.render({html: '<h1>A</h1>'}); return r.markdown"}`)
	if status != 200 || reply["result"] != "# A" || reply["logs"].([]any)[0] != "hi" {
		t.Errorf("/v1/run: %d %v", status, reply)
	}

	// The endless script's worker was killed; its successor starts in the
	// background, so the gauge reads 3 again once it is up.
	var metrics string
	waitFor(t, "the killed worker's successor", func() bool {
		metrics = get(t, s.url+"/metrics")
		return strings.Contains(metrics, "sous_isolate_workers 3\n")
	})
	for _, want := range []string{`sous_isolate_runs_total{kind="script",outcome="ok"} 1`, `sous_isolate_runs_total{kind="script",outcome="script_timeout"} 1`,
		`sous_isolate_runs_total{kind="code",outcome="ok"} 1`, "sous_isolate_workers 3"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("no %s in /metrics", want)
		}
	}

	s.cmd.Process.Signal(syscall.SIGKILL)
	s.cmd.Wait()
	for deadline := time.Now().Add(10 * time.Second); isolateWorkers(sousBinary()) > before; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d isolate workers outlived sous", isolateWorkers(sousBinary())-before)
		}
	}
}

func TestServeWithoutScripts(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--script-workers", "0")
	if status, reply := s.post(t, "/v1/render", `{"html": "<h1>Hi</h1>", "script": "return 1"}`); status != 400 {
		t.Errorf("a script without workers: %d %v", status, reply)
	}
	if status, reply := s.post(t, "/v1/run", `{"code": "return 1"}`); status != 404 {
		t.Errorf("/v1/run without workers: %d %v", status, reply)
	}
}
