package browserpool_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sous-dev/sous/browserpool"
	"github.com/sous-dev/sous/render"
)

// renderers returns the pids of the renderer processes of the browser whose
// profile directory is dir.
func renderers(dir string) []int { return processesOf(dir, "--type=renderer") }

// processesOf returns the pids of the processes of the browser whose profile
// directory is dir, of one --type if kind is not "", found the way
// CountProcesses finds them: by their command lines. (Chromium rewrites a
// child's command line into one space-separated string.)
func processesOf(dir, kind string) []int {
	arg := []byte("--user-data-dir=" + dir)
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		ours := bytes.Contains(cmdline, append(arg, ' ')) || bytes.Contains(cmdline, append(arg, 0))
		if ours && bytes.Contains(cmdline, []byte(kind)) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// profileDir returns the profile directory of p's one browser.
func profileDir(t *testing.T, p *browserpool.Pool) string {
	t.Helper()
	dirs := browserpool.ProfileDirs(p)
	if len(dirs) != 1 {
		t.Fatalf("the pool runs %d browsers, want 1", len(dirs))
	}
	return dirs[0]
}

// busiestRenderer waits for the renderer of the profile dir that is burning CPU — the
// one running a page stuck in a loop — and returns its pid. A renderer that
// is starting up is busy for a moment too, so the same one must be busy in
// two samples in a row.
func busiestRenderer(t *testing.T, dir string) int {
	t.Helper()
	last := 0
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); {
		before := map[int]int64{}
		for _, pid := range renderers(dir) {
			before[pid] = browserpool.CPUTicks(pid)
		}
		time.Sleep(time.Second)
		best, bestDelta, second := 0, int64(0), int64(0)
		for pid, b := range before {
			d := browserpool.CPUTicks(pid) - b
			switch {
			case d > bestDelta:
				best, bestDelta, second = pid, d, bestDelta
			case d > second:
				second = d
			}
		}
		// A second of a spinning page is up to 100 ticks, fewer on a
		// machine busy with other work; an idle renderer uses ~0. The
		// spinning one must stand out, and stay the same twice.
		if bestDelta < 5 || bestDelta < 3*second {
			best = 0
		}
		if best != 0 && best == last {
			return best
		}
		last = best
	}
	t.Fatal("found no busy renderer process; the check is broken")
	return 0
}

// waitIdle waits until every tab of p is warm and waiting.
func waitIdle(t *testing.T, p *browserpool.Pool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); p.Stats().Idle < p.Stats().Tabs; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d tabs became idle", p.Stats().Idle, p.Stats().Tabs)
		}
	}
}

// spin is a page that never finishes loading and keeps its renderer busy,
// which is how the tests tell its renderer from the others.
const spin = `<!doctype html><title>spin</title><script>for (;;) {}</script>`

// Killing the renderer of a page mid-render (the browser survives) fails
// that render at once with a crashed-page error, and the next render works.
func TestRendererKilledMidRequest(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 1, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dir := profileDir(t, p)
	fetch(t, p, &render.Request{URL: site.URL + "/about.html"})
	browserPid := p.Process()
	waitIdle(t, p) // so no renderer is busy starting up

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	inflight := make(chan error, 1)
	go func() {
		_, err := p.Fetch(ctx, &render.Request{HTML: spin})
		inflight <- err
	}()
	victim := busiestRenderer(t, dir)
	if victim == browserPid {
		t.Fatal("picked the browser process, not a renderer")
	}
	if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	err = <-inflight
	if !errors.Is(err, render.ErrNavigation) || !strings.Contains(err.Error(), "crashed") {
		t.Errorf("in-flight render: err = %v, want a crashed-page ErrNavigation", err)
	}
	if ctx.Err() != nil {
		t.Error("the render ran into its deadline instead of failing when its renderer died")
	}
	if p.Process() != browserPid {
		t.Error("the browser was replaced; killing a renderer should cost only its own page")
	}
	page := fetch(t, p, &render.Request{URL: site.URL + "/article.html"})
	if !strings.Contains(page.HTML, "sourdough") {
		t.Errorf("the render after the crash came back without its page:\n%s", page.HTML)
	}
}

// Renderers of idle tabs can die too (the kernel's OOM killer picks the
// biggest process, not the busiest). Renders after that still work.
func TestIdleRenderersKilled(t *testing.T) {
	t.Parallel()
	p, err := browserpool.New(context.Background(), browserpool.Options{Tabs: 2, AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	dir := profileDir(t, p)
	fetch(t, p, &render.Request{URL: site.URL + "/about.html"})
	waitIdle(t, p) // so every tab has a renderer
	pids := renderers(dir)
	if len(pids) == 0 {
		t.Fatal("found no renderer process; the check is broken")
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	// Chromium notices a dead renderer when it reaps it and then tells the
	// tab; a render leased in between fails as crashed (and a retry works).
	// Wait for the reaping, and a moment for the news to reach the pool.
	for deadline := time.Now().Add(10 * time.Second); len(renderersOf(pids)) > 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	for i := range 4 {
		page := fetch(t, p, &render.Request{URL: site.URL + "/article.html"})
		if !strings.Contains(page.HTML, "sourdough") {
			t.Errorf("render %d after the renderers died came back without its page", i)
		}
	}
}

// renderersOf returns those of pids that still exist.
func renderersOf(pids []int) []int {
	var alive []int
	for _, pid := range pids {
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); err == nil {
			alive = append(alive, pid)
		}
	}
	return alive
}
