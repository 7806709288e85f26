package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/sous-dev/sous/fixtures"
)

// Three `sous serve --nats` processes behave as one service: a page one
// renders is a hit on another, a crawl started on one is read on a third,
// /pressure and /metrics speak of the cluster, and when NATS goes away
// /readyz says so while renders go on from the nodes' own caches.
func TestServeCluster(t *testing.T) {
	t.Parallel()
	site := fixtures.Start()
	defer site.Close()
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(30 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	natsURL := fmt.Sprintf("nats://%s", ns.Addr().(*net.TCPAddr))
	var nodes []*server
	for i := range 3 {
		nodes = append(nodes, startServer(t, "--allow-private", "--cache-size", "64MiB", "--nats", natsURL, "--node-name", fmt.Sprintf("node%d", i+1), "--crawl-host-delay", "1ms"))
	}
	get := func(s *server, path string) (int, string) {
		t.Helper()
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	waitReady := func(s *server) {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			if status, _ := get(s, "/readyz"); status == 200 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never ready:\n%s", s.url, s.stderr)
			}
		}
	}
	for _, n := range nodes {
		waitReady(n)
	}

	body := fmt.Sprintf(`{"url": %q, "formats": ["markdown"], "cacheTTL": 600}`, site.URL+"/article.html")
	status, reply := nodes[0].render(t, body)
	if status != 200 {
		t.Fatalf("render on node1: %d %v", status, reply)
	}
	status, reply = nodes[1].render(t, body)
	if status != 200 || reply["meta"].(map[string]any)["cache"] != "hit" {
		t.Errorf("the same render on node2: %d, cache %v; want a hit from the shared cache", status, reply["meta"])
	}
	if n := site.Hits("/article.html"); n != 1 {
		t.Errorf("the article was fetched %d times by the cluster, want 1", n)
	}

	// A crawl started on node1 is read, to its end, on node3.
	resp, err := http.Post(nodes[0].url+"/v1/crawl", "application/json",
		strings.NewReader(fmt.Sprintf(`{"url": %q, "limit": 50, "render": false}`, site.URL+"/site/")))
	if err != nil {
		t.Fatal(err)
	}
	var started struct {
		Result string `json:"result"` // the job's id
	}
	json.NewDecoder(resp.Body).Decode(&started)
	resp.Body.Close()
	if resp.StatusCode != 200 || started.Result == "" {
		t.Fatalf("starting a crawl on node1: %d", resp.StatusCode)
	}
	var job struct {
		Result struct {
			Status  string `json:"status"`
			Records []struct {
				URL    string `json:"url"`
				Status string `json:"status"`
			} `json:"records"`
		} `json:"result"`
	}
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		status, text := get(nodes[2], "/v1/crawl/"+started.Result)
		if status != 200 {
			t.Fatalf("reading the crawl on node3: %d %s", status, text)
		}
		if err := json.Unmarshal([]byte(text), &job); err != nil {
			t.Fatal(err)
		}
		if job.Result.Status != "running" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the crawl is still running after 90 s: %s", text)
		}
	}
	// The whole fixture site, each page once. A trailing slash is no
	// difference: which spelling a page is recorded under depends on
	// which link a node followed first.
	want := map[string]string{}
	for path, status := range fixtures.CrawlSite {
		want[strings.TrimSuffix(path, "/")] = status
	}
	got := map[string]string{}
	for _, r := range job.Result.Records {
		path := strings.TrimSuffix(strings.TrimPrefix(r.URL, site.URL), "/")
		if _, dup := got[path]; dup {
			t.Errorf("%s recorded twice", r.URL)
		}
		got[path] = r.Status
	}
	if job.Result.Status != "completed" || !maps.Equal(got, want) {
		t.Errorf("crawl read on node3: %s, records %v, want %v", job.Result.Status, got, want)
	}

	status, text := get(nodes[1], "/pressure")
	var pressure struct {
		Pressure struct {
			Cluster *struct {
				Node       string `json:"node"`
				Connected  bool   `json:"connected"`
				SharedHits int64  `json:"sharedHits"`
			} `json:"cluster"`
		} `json:"pressure"`
	}
	if err := json.Unmarshal([]byte(text), &pressure); err != nil || status != 200 {
		t.Fatalf("/pressure: %d %s", status, text)
	}
	if c := pressure.Pressure.Cluster; c == nil || c.Node != "node2" || !c.Connected || c.SharedHits < 1 {
		t.Errorf("/pressure on node2 says of the cluster: %s", text)
	}
	if _, text := get(nodes[1], "/metrics"); !strings.Contains(text, "sous_cluster_connected 1") || !strings.Contains(text, `sous_cluster_cache_lookups_total{level="l2"} 1`) {
		t.Errorf("/metrics on node2 lacks the cluster's figures")
	}

	// A session made on node1 is driven from node2, read on node3, ended
	// from node2; one whose node dies says so on the others.
	call := func(s *server, method, path, body string) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(method, s.url+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var reply map[string]any
		json.NewDecoder(resp.Body).Decode(&reply)
		return resp.StatusCode, reply
	}
	sessionID := func(s *server) string {
		t.Helper()
		status, reply := call(s, "POST", "/v1/sessions", `{}`)
		if status != 200 {
			t.Fatalf("creating a session on %s: %d %v", s.url, status, reply)
		}
		return reply["result"].(map[string]any)["id"].(string)
	}
	id := sessionID(nodes[0])
	status, reply = call(nodes[1], "POST", "/v1/sessions/"+id+"/actions",
		fmt.Sprintf(`{"actions": [{"action": "navigate", "url": %q}]}`, site.URL+"/article.html"))
	if status != 200 || reply["success"] != true {
		t.Fatalf("acting on node1's session from node2: %d %v", status, reply)
	}
	status, reply = call(nodes[2], "GET", "/v1/sessions/"+id, "")
	if status != 200 || !strings.HasSuffix(fmt.Sprint(reply["result"].(map[string]any)["url"]), "/article.html") {
		t.Errorf("node1's session read on node3: %d %v", status, reply)
	}
	if status, reply = call(nodes[1], "DELETE", "/v1/sessions/"+id, ""); status != 200 {
		t.Errorf("ending node1's session from node2: %d %v", status, reply)
	}
	if status, _ = call(nodes[2], "GET", "/v1/sessions/"+id, ""); status != 404 {
		t.Errorf("an ended session read on node3: %d, want 404", status)
	}
	orphan := sessionID(nodes[2])
	nodes[2].cmd.Process.Kill()
	nodes[2].cmd.Wait()
	status, reply = call(nodes[0], "GET", "/v1/sessions/"+orphan, "")
	if status != 404 || !strings.Contains(fmt.Sprint(reply["errors"]), "gone") {
		t.Errorf("a session whose node died, read on node1: %d %v", status, reply)
	}

	// Without NATS: not ready, yet a page a node has in memory is served.
	ns.Shutdown()
	ns.WaitForShutdown()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		status, text := get(nodes[0], "/readyz")
		if status == 503 && strings.Contains(text, "cluster") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz on node1 without NATS: %d %s", status, text)
		}
	}
	status, reply = nodes[0].render(t, body)
	if status != 200 || reply["meta"].(map[string]any)["cache"] != "hit" {
		t.Errorf("a cached render without NATS: %d %v", status, reply["meta"])
	}
}
