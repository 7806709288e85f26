package browserpool

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/runtime"
)

// Memory caps. V8's heap limit (--max-old-space-size in chromeFlags) bounds
// a page's JavaScript objects only: ArrayBuffers, images, canvases and the
// DOM live outside it, and twelve 256 MiB Uint8Arrays took one renderer to
// 3.2 GB. Two more caps cover every allocation:
//
//   - Each renderer process is measured every rendererPoll (its anonymous
//     resident memory, RssAnon in /proc/PID/status) and killed once past
//     Options.RendererMemory. Its render fails as a crashed page and its
//     tab is replaced, whether the page was rendering or idle.
//   - The browser's whole process tree runs in a memory cgroup of its own,
//     limited to Options.BrowserMemory, where the machine has one we may
//     create (cgroup v2 with the memory controller, or v1's memory
//     hierarchy; as root, or with the cgroup delegated). The kernel then
//     stops the tree even between two polls; inside it, the OOM killer picks
//     a renderer, which Chromium marks as the first to go. Without such a
//     cgroup the per-renderer watch still holds.
//
// And a renderer under its cap gives its memory back when its render ends:
// the wipe collects the garbage of one whose JavaScript engine still holds
// more than releaseAbove (releaseMemory).

// rendererPoll is how often renderers are measured.
const rendererPoll = 250 * time.Millisecond

// memoryCgroup is a cgroup holding one browser's processes, or nil.
type memoryCgroup struct {
	dir   string // its directory
	procs string // the file a process writes its pid to, to join it
}

// cgroupSeq numbers the cgroups of this process's browsers.
var cgroupSeq atomic.Int64

// newMemoryCgroup creates a cgroup limited to limit bytes under this
// process's own memory cgroup. It returns nil and the reason when the
// machine offers none that we may create.
func newMemoryCgroup(limit int64) (*memoryCgroup, error) {
	self, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("sous-%d-%d", os.Getpid(), cgroupSeq.Add(1))
	// cgroup v2: the memory controller in the unified hierarchy.
	if ctrl, err := os.ReadFile("/sys/fs/cgroup/cgroup.controllers"); err == nil && bytes.Contains(ctrl, []byte("memory")) {
		if path, ok := cgroupPath(self, func(ctrls string) bool { return ctrls == "" }); ok {
			return makeCgroup(filepath.Join("/sys/fs/cgroup", path, name), "memory.max", limit)
		}
	}
	// cgroup v1: the memory hierarchy.
	if path, ok := cgroupPath(self, func(ctrls string) bool { return hasField(ctrls, "memory") }); ok {
		if _, err := os.Stat("/sys/fs/cgroup/memory/memory.limit_in_bytes"); err == nil {
			return makeCgroup(filepath.Join("/sys/fs/cgroup/memory", path, name), "memory.limit_in_bytes", limit)
		}
	}
	return nil, errors.New("no memory cgroup controller")
}

// cgroupPath finds, in the text of /proc/self/cgroup, the path of the line
// whose controller list ctrls matches.
func cgroupPath(self []byte, match func(ctrls string) bool) (string, bool) {
	for line := range strings.Lines(string(self)) {
		parts := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(parts) == 3 && match(parts[1]) {
			return parts[2], true
		}
	}
	return "", false
}

func hasField(list, want string) bool {
	for f := range strings.SplitSeq(list, ",") {
		if f == want {
			return true
		}
	}
	return false
}

func makeCgroup(dir, limitFile string, limit int64) (*memoryCgroup, error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, limitFile), []byte(strconv.FormatInt(limit, 10)), 0o644); err != nil {
		os.Remove(dir)
		return nil, err
	}
	return &memoryCgroup{dir: dir, procs: filepath.Join(dir, "cgroup.procs")}, nil
}

// wrap returns the command line that runs argv inside the cgroup: a shell
// that moves itself in and then becomes the browser, so that every process
// the browser starts is born inside.
func (c *memoryCgroup) wrap(argv []string) []string {
	return append([]string{"/bin/sh", "-c", `echo $$ >"$0" && exec "$@"`, c.procs}, argv...)
}

// remove deletes the cgroup once its processes are gone.
func (c *memoryCgroup) remove() {
	for range 50 {
		if err := os.Remove(c.dir); err == nil || errors.Is(err, os.ErrNotExist) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// watchRenderers kills, until ctx ends, every renderer of the browser whose
// profile is dataDir that uses more than limit bytes, and calls killed for
// each.
func watchRenderers(ctx context.Context, dataDir string, limit int64, killed func(pid int, rss int64)) {
	profile := []byte("--user-data-dir=" + dataDir)
	renderer := []byte("--type=renderer")
	// known remembers the verdict for processes that are not the browser's,
	// and for its renderers; the browser's other processes are read again,
	// since a process forked by the zygote becomes a renderer only when it
	// rewrites its command line.
	known := map[int]bool{}
	tick := time.NewTicker(rendererPoll)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
		entries, err := os.ReadDir("/proc")
		if err != nil {
			continue
		}
		alive := make(map[int]bool, len(known))
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			alive[pid] = true
			ours, seen := known[pid]
			if !seen {
				cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
				if err != nil {
					continue
				}
				mine := hasArg(cmdline, profile)
				ours = mine && bytes.Contains(cmdline, renderer)
				if ours || !mine {
					known[pid] = ours
				}
			}
			if !ours {
				continue
			}
			if rss := anonRSS(pid); rss > limit {
				syscall.Kill(pid, syscall.SIGKILL)
				killed(pid, rss)
			}
		}
		for pid := range known {
			if !alive[pid] {
				delete(known, pid)
			}
		}
	}
}

// anonRSS is the anonymous resident memory of pid in bytes: what its heaps,
// ArrayBuffers and bitmaps occupy, without the shared program text.
func anonRSS(pid int) int64 {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "RssAnon:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// memoryCaps are the limits of one browser; zero means none.
type memoryCaps struct {
	renderer int64 // per renderer process
	browser  int64 // the whole process tree, where a cgroup can hold it
}

// defaultCaps fills in the defaults of Options.RendererMemory and
// Options.BrowserMemory for a browser with tabs tabs.
func defaultCaps(renderer, browser int64, tabs int) (int64, int64) {
	if renderer == 0 {
		renderer = 1 << 30
	}
	if browser == 0 {
		browser = 1<<30 + int64(tabs)*(512<<20)
		if total := machineMemory(); total > 0 {
			browser = min(browser, total/4*3)
		}
	}
	return renderer, browser
}

// machineMemory is MemTotal from /proc/meminfo in bytes, or 0.
func machineMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// releaseAbove is how much memory of the JavaScript engine (its heap, the
// embedder's heap, ArrayBuffers' backing stores) a renderer may keep after
// its page is gone before the wipe collects its garbage. Most pages stay
// below it, so most wipes do not pay for a full collection.
const releaseAbove = 128 << 20

// releaseMemory gives back what the tab's last page allocated, once the tab
// has left that page: an idle renderer otherwise kept its dead page's
// memory (680 MB of typed arrays for ten seconds and more, nothing asking
// V8 to collect it), several such renderers together approaching the
// browser's cap while nothing rendered.
func (t *tab) releaseMemory(ctx context.Context) error {
	usage, err := cdp.Call(ctx, t.s, runtime.GetHeapUsage, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("heap usage: %w", err)
	}
	if usage.TotalSize+usage.EmbedderHeapUsedSize+usage.BackingStorageSize < releaseAbove {
		return nil
	}
	if _, err := cdp.Call(ctx, t.s, heapprofiler.CollectGarbage, cdp.Empty{}); err != nil {
		return fmt.Errorf("collect garbage: %w", err)
	}
	return nil
}
