package cluster_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sous-dev/sous/cluster"
	"github.com/sous-dev/sous/crawl"
)

// bigSite serves /p/0 … /p/(pages-1): page n links to pages 2n+1 and
// 2n+2 and back to the start, so a crawl from /p/0 finds every page.
// Each answer takes a little while, as a real site's do, so that a crawl
// is still running when a test disrupts it.
type bigSite struct {
	pages int
	mu    sync.Mutex
	hits  map[int]int
}

func (s *bigSite) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/p/"))
	if err != nil || n < 0 || n >= s.pages {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	s.hits[n]++
	s.mu.Unlock()
	select {
	case <-time.After(20 * time.Millisecond):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html><html><head><title>Page %d</title></head><body><main><h1>Page %d</h1><p>One of many.</p>", n, n)
	for _, m := range []int{2*n + 1, 2*n + 2} {
		if m < s.pages {
			fmt.Fprintf(w, `<a href="/p/%d">page %d</a> `, m, m)
		}
	}
	fmt.Fprint(w, `<a href="/p/0">home</a></main></body></html>`)
}

// crawlNode is a node that crawls: a render node with a crawl manager
// whose host spacing is the cluster's, and the cluster's crawls.
type crawlNode struct {
	*node
	crawls *cluster.Crawls
}

func startCrawlNode(t testing.TB, ns *natsServer, name string) *crawlNode {
	t.Helper()
	// A node killed mid-render holds its pages' render claims: the
	// others wait this long before rendering them in its place.
	n := startNode(t, ns, name, nodeOptions{claimTTL: 2 * time.Second})
	ctx := context.Background()
	gate, err := n.member.NewHostGate(ctx, 4)
	if err != nil {
		t.Fatal(err)
	}
	m, err := crawl.New(n.svc, crawl.Options{HTTPClient: http.DefaultClient, HostDelay: -1, HostConcurrency: 4, Hosts: gate})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	crawls, err := n.member.NewCrawls(ctx, m, cluster.CrawlOptions{Workers: 6, AckWait: 2 * time.Second, Sweep: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { crawls.Close() })
	return &crawlNode{node: n, crawls: crawls}
}

// kill stops a node as a crash would: its connection goes first, so that
// nothing it was doing is acknowledged or stored.
func (n *crawlNode) kill() {
	n.member.Close()
	n.crawls.Close()
}

func siteRequest(base string, pages int) *crawl.Request {
	off := false
	return &crawl.Request{URL: base + "/p/0", Limit: pages, Source: crawl.SourceLinks, Render: &off,
		Formats: []crawl.Format{crawl.FormatMarkdown}}
}

// waitFinished waits until the job, seen from n, has finished at least
// count pages, or has ended.
func waitFinished(t *testing.T, j *crawl.Job, count int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	err := j.Watch(ctx, func(u crawl.Update) error {
		if u.Finished >= count {
			return errEnough
		}
		return nil
	})
	if err != nil && err != errEnough {
		t.Fatalf("waiting for %d pages: %v (progress %+v)", count, err, j.Progress())
	}
}

var errEnough = fmt.Errorf("enough")

// checkEveryPageOnce checks that the job completed with a record for every
// page of the site, each once.
func checkEveryPageOnce(t *testing.T, who string, c *cluster.Crawls, id string, base string, pages int) {
	t.Helper()
	j, err := c.Job(id)
	if err != nil {
		t.Fatalf("%s: %v", who, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := j.Wait(ctx); err != nil {
		t.Fatalf("%s: the job did not end: %v (progress %+v)", who, err, j.Progress())
	}
	res := j.Result(crawl.Page{})
	if res.Status != crawl.JobCompleted {
		t.Errorf("%s: status %s (%s)", who, res.Status, res.Error)
	}
	seen := map[string]int{}
	for _, r := range res.Records {
		seen[strings.TrimPrefix(r.URL, base)]++
		if r.Status != crawl.RecordCompleted {
			t.Errorf("%s: %s is %s (%s)", who, r.URL, r.Status, r.Error)
		}
	}
	for p := range pages {
		if n := seen[fmt.Sprintf("/p/%d", p)]; n != 1 {
			t.Errorf("%s: /p/%d recorded %d times", who, p, n)
		}
	}
	if len(res.Records) != pages || res.Total != pages || res.Finished != pages {
		t.Errorf("%s: %d records, total %d, finished %d; want %d", who, len(res.Records), res.Total, res.Finished, pages)
	}
}

func TestCrawlSurvivesANodeKilledHalfway(t *testing.T) {
	const pages = 200
	ns := startNATS(t)
	site := &bigSite{pages: pages, hits: map[int]int{}}
	base := serve(t, site)
	nodes := []*crawlNode{startCrawlNode(t, ns, "a"), startCrawlNode(t, ns, "b"), startCrawlNode(t, ns, "c")}

	j, err := nodes[0].crawls.Start(context.Background(), siteRequest(base, pages))
	if err != nil {
		t.Fatal(err)
	}
	waitFinished(t, j, pages/2)
	nodes[0].kill() // the node that started the job, and mirrored it

	for _, n := range nodes[1:] {
		checkEveryPageOnce(t, n.member.Name(), n.crawls, j.ID(), base, pages)
	}
	var visits []int64
	for _, n := range nodes {
		visits = append(visits, n.crawls.Visits())
	}
	t.Logf("pages visited by a, b, c: %v", visits)
	if visits[1] == 0 || visits[2] == 0 {
		t.Errorf("visits %v: every node should have crawled", visits)
	}
}

func TestCrawlSurvivesANATSRestart(t *testing.T) {
	const pages = 120
	ns := startNATS(t)
	site := &bigSite{pages: pages, hits: map[int]int{}}
	base := serve(t, site)
	nodes := []*crawlNode{startCrawlNode(t, ns, "a"), startCrawlNode(t, ns, "b"), startCrawlNode(t, ns, "c")}

	j, err := nodes[1].crawls.Start(context.Background(), siteRequest(base, pages))
	if err != nil {
		t.Fatal(err)
	}
	waitFinished(t, j, pages/3)
	ns.restart()
	for _, n := range nodes {
		checkEveryPageOnce(t, n.member.Name(), n.crawls, j.ID(), base, pages)
	}
}

// A URL is counted against a job's limit once, however often it is asked
// about: a node that counted a page's link and lost its connection before
// recording it asks again when the page is visited again, after other
// pages may have filled the limit. (A NATS restart lost a page this way.)
func TestAdmissionIsCountedOnce(t *testing.T) {
	n := startCrawlNode(t, startNATS(t), "a")
	ctx := context.Background()
	steps := []struct {
		url  string
		want bool
	}{
		{"a", true}, {"b", true}, // the limit of 2 is full
		{"a", true}, {"c", false}, {"c", false}, {"b", true}, {"d", false},
	}
	for i, s := range steps {
		got, err := n.crawls.Reserve(ctx, "job", s.url, 2)
		if err != nil {
			t.Fatalf("step %d (%s): %v", i, s.url, err)
		}
		if got != s.want {
			t.Errorf("step %d: %s admitted %v, want %v", i, s.url, got, s.want)
		}
	}
}
