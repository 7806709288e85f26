package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sous-dev/sous/fixtures"
)

// A served instance answers a repeat from its cache, says so in meta, headers,
// metrics and logs, and reports itself ready.
func TestServeCacheAndOperations(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	s := startServer(t, "--allow-private", "--log-format", "json", "--cache-size", "64MiB", "--concurrency", "2")
	body := fmt.Sprintf(`{"url": %q, "formats": ["markdown"]}`, site.URL+"/article.html")

	var states []any
	for range 3 { // ristretto admits asynchronously: a second try may miss
		status, reply := s.render(t, body)
		if status != 200 {
			t.Fatalf("status %d: %v", status, reply)
		}
		states = append(states, reply["meta"].(map[string]any)["cache"])
		if states[len(states)-1] == "hit" {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if states[0] != "miss" || states[len(states)-1] != "hit" {
		t.Errorf("cache states %v, want a miss then a hit", states)
	}
	if n := site.Hits("/article.html"); n != len(states)-1 {
		t.Errorf("%d renders of the page for %d requests ending in a hit", n, len(states))
	}

	get := func(path string) (int, string) {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Ready once every tab has rendered its warm-up page.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		status, _ := get("/readyz")
		if status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz: %d a minute after the start", status)
		}
	}
	status, text := get("/metrics")
	for _, want := range []string{"sous_cache_hits_total 1", "sous_cache_misses_total", "sous_cache_max_bytes 6.7108864e+07", "sous_pool_browsers 1", "sous_render_requests_total{"} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if status != 200 || t.Failed() {
		t.Logf("/metrics %d:\n%s", status, text)
	}
	status, text = get("/pressure")
	var pressure struct {
		Pressure struct {
			IsAvailable   bool `json:"isAvailable"`
			MaxConcurrent int  `json:"maxConcurrent"`
			Memory        int  `json:"memory"`
		}
	}
	if err := json.Unmarshal([]byte(text), &pressure); err != nil || status != 200 || !pressure.Pressure.IsAvailable || pressure.Pressure.MaxConcurrent != 2 {
		t.Errorf("/pressure %d: %s (%v)", status, text, err)
	}

	// One JSON log line per render, with the cache state. Stop the server
	// first, so that its log is complete and no longer being written.
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()
	var logged []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(s.stderr.Bytes()))
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "render" {
			logged = append(logged, line)
		}
	}
	if len(logged) != len(states) {
		t.Fatalf("%d render log lines for %d renders:\n%s", len(logged), len(states), s.stderr)
	}
	last := logged[len(logged)-1]
	for _, field := range []string{"id", "host", "formats", "engine", "cache", "status", "ms"} {
		if _, ok := last[field]; !ok {
			t.Errorf("log line lacks %q: %v", field, last)
		}
	}
	if last["cache"] != "hit" || last["status"] != float64(200) || last["id"] == "" {
		t.Errorf("log line %v", last)
	}
}

func TestServeOperationsFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad log format", []string{"--log-format", "xml"}, "--log-format"},
		{"bad log level", []string{"--log-level", "loud"}, "log-level"},
		{"bad cache size", []string{"--cache-size", "lots"}, "cache-size"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), nil, new(bytes.Buffer), &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tc.want) {
				t.Errorf("err %v, output %q; want an error about %s", err, stderr.String(), tc.want)
			}
		})
	}
}
