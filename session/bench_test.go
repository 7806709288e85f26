package session_test

import (
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sous-dev/sous/session"
)

// The session benchmarks of the closing note:
//
//	go test -run '^$' -bench 'Session' -benchtime 30x ./session
//
// Each reports its own metrics: latencies at p50 and p99 in milliseconds,
// snapshot sizes in characters, sessions per GiB of browser memory.

// percentiles reports p50 and p99 of d, in milliseconds, as b's metrics.
func percentiles(b *testing.B, name string, d []time.Duration) {
	if len(d) == 0 {
		return
	}
	slices.Sort(d)
	at := func(p float64) float64 {
		return float64(d[min(len(d)-1, int(p*float64(len(d))))].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), name+"-p50-ms")
	b.ReportMetric(at(0.99), name+"-p99-ms")
}

// BenchmarkSessionClickSnapshot is an action's latency as an agent sees
// it: a click that changes the page, through the reply with its snapshot
// (a diff).
func BenchmarkSessionClickSnapshot(b *testing.B) {
	m := newManager(b, session.Options{})
	info, err := m.Create(testContext(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	act(b, m, info.ID, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/wizard/2")}})
	var took []time.Duration
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res := act(b, m, info.ID, &session.ActRequest{Actions: []session.Action{{Kind: session.DoClick, Target: "#terms"}}})
		took = append(took, time.Since(start))
		if res.SnapshotMode != session.SnapshotDiff {
			b.Fatalf("snapshot %s", res.SnapshotMode)
		}
	}
	percentiles(b, "click", took)
	b.ReportMetric(0, "ns/op")
}

// BenchmarkSessionCreateNavigate is the time from asking for a session to
// the reply of its first navigation.
func BenchmarkSessionCreateNavigate(b *testing.B) {
	m := newManager(b, session.Options{})
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		info, err := m.Create(testContext(b), nil)
		if err != nil {
			b.Fatal(err)
		}
		act(b, m, info.ID, &session.ActRequest{Actions: []session.Action{navigate(site.URL + "/app/login")}})
		took = append(took, time.Since(start))
		if err := m.CloseSession(testContext(b), info.ID); err != nil {
			b.Fatal(err)
		}
	}
	percentiles(b, "create-navigate", took)
	b.ReportMetric(0, "ns/op")
}

// corpusPages are five pages of the development corpus, served from a
// local server (their external subresources do not load offline).
var corpusPages = []string{"0001", "0002", "0003", "0004", "0005"}

func corpusServer(b *testing.B) *httptest.Server {
	dir := "../../shared/corpus/wcxb-dev/html"
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("no corpus at %s", dir)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(filepath.Join(dir, filepath.Base(strings.TrimSuffix(r.URL.Path, ".html"))+".html.gz"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		defer f.Close()
		z, err := gzip.NewReader(f)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.Copy(w, z)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkSessionSnapshotSize compares, on corpus pages, the whole
// snapshot of a page with the diff that follows scrolling it by a screen
// (what lazy pages add) and typing into its first text field, if it has
// one (a search box, most often). A failed step still answers with a diff.
func BenchmarkSessionSnapshotSize(b *testing.B) {
	srv := corpusServer(b)
	m := newManager(b, session.Options{MaxChars: 1_000_000})
	for _, page := range corpusPages {
		b.Run(page, func(b *testing.B) {
			var full, diff int
			for b.Loop() {
				info, err := m.Create(testContext(b), nil)
				if err != nil {
					b.Fatal(err)
				}
				res := act(b, m, info.ID, &session.ActRequest{Actions: []session.Action{navigate(srv.URL + "/" + page + ".html")}})
				full = len([]rune(res.Snapshot))
				actions := []session.Action{{Kind: session.DoScroll, Direction: "down"}}
				if ref := firstRef(res.Snapshot, "- textbox"); ref != "" {
					actions = append(actions, session.Action{Kind: session.DoType, Target: ref, Text: "sourdough"})
				}
				res, err = m.Act(testContext(b), info.ID, &session.ActRequest{Actions: actions})
				if err != nil {
					b.Fatal(err)
				}
				diff = len([]rune(res.Snapshot))
				m.CloseSession(testContext(b), info.ID)
			}
			b.ReportMetric(float64(full), "full-chars")
			b.ReportMetric(float64(diff), "diff-chars")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// firstRef is the ref of the first snapshot line holding what, or "".
func firstRef(snapshot, what string) string {
	for line := range strings.Lines(snapshot) {
		if strings.Contains(line, what) {
			if _, rest, ok := strings.Cut(line, "[ref="); ok {
				return rest[:strings.IndexByte(rest, ']')]
			}
		}
	}
	return ""
}

// BenchmarkSessionsPerGiB opens sessions on corpus pages and divides a
// GiB by what each adds to the browser's memory (proportional set size
// of all its processes).
func BenchmarkSessionsPerGiB(b *testing.B) {
	srv := corpusServer(b)
	const n = 8
	for b.Loop() {
		m := newManager(b, session.Options{MaxSessions: n})
		time.Sleep(2 * time.Second) // let the pool's idle tabs settle; a measurement, not a synchronisation
		before := pool.MemoryPSS()
		for i := range n {
			info, err := m.Create(testContext(b), nil)
			if err != nil {
				b.Fatal(err)
			}
			act(b, m, info.ID, &session.ActRequest{Actions: []session.Action{navigate(fmt.Sprintf("%s/%s.html", srv.URL, corpusPages[i%len(corpusPages)]))}})
		}
		after := pool.MemoryPSS()
		per := float64(after-before) / n
		b.ReportMetric(per/(1<<20), "MiB/session")
		b.ReportMetric((1<<30)/per, "sessions/GiB")
		m.Close()
	}
	b.ReportMetric(0, "ns/op")
}
