package browserpool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// ErrNoChrome is returned when no Chromium executable can be found.
var ErrNoChrome = errors.New("no Chromium found: install Debian's chromium package, or pass --chrome or set SOUS_CHROME")

// FindChrome returns the Chromium executable to run: explicit if set, else
// $SOUS_CHROME, else the first of chromium, chromium-browser, google-chrome
// and google-chrome-stable on PATH.
func FindChrome(explicit string) (string, error) {
	for _, p := range []string{explicit, os.Getenv("SOUS_CHROME")} {
		if p == "" {
			continue
		}
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("chrome %q: %w", p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", ErrNoChrome
}

// chromeFlags are the flags every browser starts with. The network-related
// ones matter on machines without internet access: without them Chromium
// stalls on background connections that are refused.
var chromeFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	// Without a GPU there are no shaders to keep, but Chromium still opens
	// a shader disk cache, and every cache clear of the wipe empties it:
	// with it, 13 thread-ms per isolated render went to recreating its
	// empty index files (DoomAllEntries in sous bench --trace).
	"--disable-gpu-shader-disk-cache",
	"--disable-quic",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-default-apps",
	"--disable-extensions",
	"--disable-breakpad",
	"--disable-crash-reporter",
	"--disable-client-side-phishing-detection",
	"--disable-domain-reliability",
	"--disable-hang-monitor",
	"--disable-prompt-on-repost",
	// No --disable-popup-blocking: Chromium's own blocker refuses a window
	// a script opens without a click, at no cost to us. With it off, a page
	// opening 200 windows made the pool open and close 200 targets (33 s of
	// a busy machine); a session's clicks still open their tabs.
	//
	// No --disable-ipc-flooding-protection: that protection is what throttles
	// a page calling history.pushState in a loop. Without it, one such page
	// flooded the browser process with navigation entries (14 GB, minutes of
	// unanswered commands for every other tab).
	//
	// Every tab renders at full priority: the pool has no foreground tab.
	"--disable-background-timer-throttling",
	"--disable-backgrounding-occluded-windows",
	"--disable-renderer-backgrounding",
	// BackForwardCache would keep a finished page alive after the tab moves
	// on; the pool wants it gone. ProactivelySwapBrowsingInstance and
	// SpareRendererForSitePerProcess make Chromium start renderer processes
	// the pool never uses: with them off, renderers started during a run of
	// renders fell from 41 to 10, and sous bench rose from 5.6 to 10.9
	// isolated pages/s at concurrency 8. Chromium 156 gives every window
	// (each tab's browser context has one) an omnibox popup drawn by a
	// renderer of its own (chrome://omnibox-popup.top-chrome), which no
	// headless page ever shows: without the three WebUIOmnibox features,
	// isolated renders at concurrency 4 took 314-386 CPU ms/page instead
	// of 568-576, and ran at 5.2-6.3 pages/s instead of 3.5. RenderDocument
	// gives every new document a new frame host, in the browser and in the
	// renderer, where the pool's navigations (and the about:blank that ends
	// a render) can keep the one they have: without it, in three pairs of
	// sous bench runs at concurrency 8, isolated renders took 291-369 CPU
	// ms/page instead of 363-443 (5.3-6.8 pages/s instead of 4.4-5.4) and
	// reused ones 176-227 instead of 234-283.
	"--disable-features=Translate,BackForwardCache,MediaRouter,OptimizationHints,DialMediaRouteProvider,AcceptCHFrame,InterestFeedContentSuggestions,ProactivelySwapBrowsingInstance,SpareRendererForSitePerProcess,WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,RenderDocument",
	"--disable-dev-shm-usage",
	"--force-color-profile=srgb",
	"--hide-scrollbars",
	"--mute-audio",
	"--metrics-recording-only",
	"--password-store=basic",
	"--use-mock-keychain",
	// A page's JavaScript heap is capped, so a memory bomb crashes its own
	// renderer (and fails its render) long before it threatens the machine.
	"--js-flags=--max-old-space-size=512",
	"--remote-debugging-pipe",
}

// process is one running Chromium: its process, its protocol connection and
// its profile directory.
type process struct {
	cmd     *exec.Cmd
	conn    *conn
	dataDir string
	tmpDir  string   // the browser's TMPDIR, or ""; see chromeTempDir
	guard   *os.File // write end of the guard's pipe; see startGuard

	exited  chan struct{} // closed when the process has exited and been reaped
	waitErr error
	popups  sync.WaitGroup // the goroutines of closePopups and watchRenderers
	cgroup  *memoryCgroup  // nil without one; see memory.go
	// rendererKills counts renderers killed for their memory.
	rendererKills atomic.Int64
	// sessionContexts holds the browser contexts of sessions (a
	// cdp.BrowserContextID each), whose windows closePopups leaves open:
	// a session's popups are tabs the agent may switch to.
	sessionContexts sync.Map

	closeOnce sync.Once
}

// launch starts Chromium with a fresh profile directory and connects to it.
// The process is bound to the calling service in three ways, so that it never
// outlives it: the kernel kills it when our thread dies (Pdeathsig), close
// kills its process group, and a guard process kills whatever is left using
// its profile when our side of a pipe closes, however we exit.
func launch(ctx context.Context, execPath string, extraFlags []string, stderr io.Writer, caps memoryCaps) (*process, error) {
	dataDir, err := os.MkdirTemp("", fmt.Sprintf("sous-chrome-%d-", os.Getpid()))
	if err != nil {
		return nil, fmt.Errorf("profile dir: %w", err)
	}
	if err := writePreferences(dataDir); err != nil {
		os.RemoveAll(dataDir)
		return nil, err
	}
	tmpDir := chromeTempDir()
	guard, err := startGuard(dataDir, tmpDir)
	if err != nil {
		os.RemoveAll(dataDir)
		os.RemoveAll(tmpDir)
		return nil, err
	}

	argv := append(append(append([]string{execPath}, chromeFlags...), extraFlags...), "--user-data-dir="+dataDir, "about:blank")
	var cgroup *memoryCgroup
	if caps.browser > 0 {
		// Without a cgroup the per-renderer cap still holds; see memory.go.
		if cgroup, _ = newMemoryCgroup(caps.browser); cgroup != nil {
			argv = cgroup.wrap(argv)
		}
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	if tmpDir != "" {
		cmd.Env = append(cmd.Env, "TMPDIR="+tmpDir)
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if stderr == nil {
		stderr = io.Discard
	}
	cmd.Stdout = stderr
	cmd.Stderr = stderr

	childR, parentW, err := os.Pipe()
	if err != nil {
		guard.Close()
		return nil, err
	}
	parentR, childW, err := os.Pipe()
	if err != nil {
		childR.Close()
		parentW.Close()
		guard.Close()
		return nil, err
	}
	cmd.ExtraFiles = []*os.File{childR, childW} // fd 3 and 4: --remote-debugging-pipe

	p := &process{cmd: cmd, dataDir: dataDir, tmpDir: tmpDir, guard: guard, exited: make(chan struct{}), cgroup: cgroup}
	started := make(chan error, 1)
	go func() {
		// Pdeathsig fires when the thread that started the child exits, not
		// the process, so the starting goroutine keeps its thread until the
		// browser is gone (go.dev/issue/27505).
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	err = <-started
	childR.Close()
	childW.Close()
	if err != nil {
		parentR.Close()
		parentW.Close()
		guard.Close()
		if cgroup != nil {
			cgroup.remove()
		}
		return nil, fmt.Errorf("start %s: %w", execPath, err)
	}
	p.conn = newConn(chromedp.NewPipeConn(parentR, parentW))
	if caps.renderer > 0 {
		watchCtx, stopWatch := context.WithCancel(context.Background())
		p.popups.Go(func() {
			<-p.exited
			stopWatch()
		})
		p.popups.Go(func() {
			watchRenderers(watchCtx, dataDir, caps.renderer, func(int, int64) { p.rendererKills.Add(1) })
		})
	}

	// The browser answers its first command once it is ready.
	readyCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := p.conn.call(readyCtx, "", "Browser.getVersion", nil, nil); err != nil {
		p.close()
		return nil, fmt.Errorf("chromium did not start: %w", err)
	}
	if err := p.closePopups(readyCtx); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

// preferences are the profile preferences every browser starts with; the
// browser contexts of the tabs inherit them.
//
// WebRTC may not send UDP: its STUN and TURN requests and its connectivity
// checks would go around the network guard, whose proxy sees only TCP. The
// disable_non_proxied_udp policy leaves WebRTC only TCP through the proxy,
// which the guard checks like any other connection. (Chromium has no
// command-line switch for this policy, only the preference.)
const preferences = `{"webrtc": {"ip_handling_policy": "disable_non_proxied_udp", "multiple_routes_enabled": false, "nonproxied_udp_enabled": false}}`

// writePreferences writes preferences into the profile directory dataDir.
func writePreferences(dataDir string) error {
	dir := filepath.Join(dataDir, "Default")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("profile preferences: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Preferences"), []byte(preferences), 0o600); err != nil {
		return fmt.Errorf("profile preferences: %w", err)
	}
	return nil
}

// closePopups closes every window a page opens as soon as it exists, so a
// page that calls window.open in a loop cannot fill the browser with tabs.
// (The pool also replaces the tab of a page that opened one.)
func (p *process) closePopups(ctx context.Context) error {
	bs := session{conn: p.conn}
	created, stop := bs.Subscribe(target.TargetCreated.Method)
	if _, err := cdp.Call(ctx, bs, target.SetDiscoverTargets, target.SetDiscoverTargetsParams{Discover: true}); err != nil {
		stop()
		return fmt.Errorf("discover targets: %w", err)
	}
	p.popups.Go(func() {
		defer stop()
		for raw := range created { // ends when the connection closes
			var ev target.EventTargetCreated
			if jsonv2.Unmarshal(raw, &ev) != nil || ev.TargetInfo == nil || ev.TargetInfo.OpenerID == "" {
				continue
			}
			if _, ok := p.sessionContexts.Load(ev.TargetInfo.BrowserContextID); ok {
				continue
			}
			// A close that fails leaves nothing behind for the next render:
			// the opener's tab saw Page.windowOpen and is replaced, not
			// wiped, and disposing its browser context closes the window.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, _ = cdp.Call(ctx, bs, target.CloseTarget, target.CloseTargetParams{TargetID: ev.TargetInfo.TargetID})
			cancel()
		}
	})
	return nil
}

// close kills the browser and everything it started, waits for it to exit and
// removes its profile. It is safe to call more than once.
func (p *process) close() {
	p.closeOnce.Do(func() {
		if p.cmd.Process != nil {
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			p.cmd.Process.Kill()
			<-p.exited
		}
		p.conn.transportClose()
		p.popups.Wait()
		clean := killUsing(p.dataDir)
		removeSingletonDir(p.dataDir)
		clean = os.RemoveAll(p.dataDir) == nil && clean
		if p.tmpDir != "" {
			clean = os.RemoveAll(p.tmpDir) == nil && clean
		}
		if clean {
			p.guard.WriteString(guardDone)
		}
		p.guard.Close()
		if p.cgroup != nil {
			p.cgroup.remove()
		}
	})
}

// userAgent is the browser's user agent without the "Headless" that makes
// many sites treat it as a bot.
func (p *process) userAgent(ctx context.Context) string {
	var v browser.GetVersionResult
	if err := p.conn.call(ctx, "", browser.CommandGetVersion, nil, &v); err != nil {
		return ""
	}
	return strings.Replace(v.UserAgent, "HeadlessChrome", "Chrome", 1)
}

// userAgents caches, by Chromium executable, the user agent its browsers are
// started with (see launchWithUserAgent).
var userAgents sync.Map

// launchWithUserAgent launches a browser whose every request sends the user
// agent without "Headless", and returns it with that user agent. A tab's
// Emulation override covers only that tab: a window a page opens sends its
// first requests before anything can be set on it. Only the --user-agent
// flag covers those, and it needs the browser's version. The first launch of
// an executable reads it from `--version` (userAgentFromVersion); only an
// executable that does not answer that is asked by a probe browser, started
// and closed first. Later launches know it.
func launchWithUserAgent(ctx context.Context, execPath string, flags []string, stderr io.Writer, caps memoryCaps) (*process, string, error) {
	if slices.ContainsFunc(flags, func(f string) bool { return strings.HasPrefix(f, "--user-agent=") }) {
		p, err := launch(ctx, execPath, flags, stderr, caps)
		if err != nil {
			return nil, "", err
		}
		return p, p.userAgent(ctx), nil
	}
	if ua := knownUserAgent(ctx, execPath); ua != "" {
		p, err := launch(ctx, execPath, append(slices.Clone(flags), "--user-agent="+ua), stderr, caps)
		return p, ua, err
	}
	probe, err := launch(ctx, execPath, flags, stderr, memoryCaps{})
	if err != nil {
		return nil, "", err
	}
	ua := probe.userAgent(ctx)
	probe.close()
	if ua == "" {
		return nil, "", errors.New("chromium did not tell its user agent")
	}
	userAgents.Store(execPath, ua)
	return launchWithUserAgent(ctx, execPath, flags, stderr, caps)
}

// UserAgent is the user agent a browser of the Chromium named by chrome (as
// for FindChrome) will send, told without starting one, or "" when it
// cannot be told that way. A command that may never need a browser gives it
// to its HTTP engine, so that both engines look alike.
func UserAgent(ctx context.Context, chrome string) string {
	execPath, err := FindChrome(chrome)
	if err != nil {
		return ""
	}
	return knownUserAgent(ctx, execPath)
}

// knownUserAgent is execPath's user agent as userAgents holds it, or as
// its `--version` tells it (then kept there), or "".
func knownUserAgent(ctx context.Context, execPath string) string {
	if ua, ok := userAgents.Load(execPath); ok {
		return ua.(string)
	}
	ua := userAgentFromVersion(ctx, execPath)
	if ua != "" {
		userAgents.Store(execPath, ua)
	}
	return ua
}

// userAgentFromVersion builds the user agent of execPath from its
// `--version` ("Chromium 156.0.8078.114 built on Debian ..."), or returns ""
// if it cannot. Since user-agent reduction, Chromium's user agent names only
// the major version and one fixed platform per operating system, so that is
// exactly what a browser would report, with "Chrome" for "HeadlessChrome".
// It saves starting a whole browser (about 1.5 CPU-seconds) in every
// process that launches one: every `sous render` and `sous serve`.
func userAgentFromVersion(ctx context.Context, execPath string) string {
	platform, ok := map[string]string{
		"linux":   "X11; Linux x86_64",
		"darwin":  "Macintosh; Intel Mac OS X 10_15_7",
		"windows": "Windows NT 10.0; Win64; x64",
	}[runtime.GOOS]
	if !ok {
		return ""
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, execPath, "--version").Output()
	if err != nil {
		return ""
	}
	for _, field := range strings.Fields(string(out)) {
		major, _, ok := strings.Cut(field, ".")
		if n, err := strconv.Atoi(major); ok && err == nil && n > 0 && strings.Count(field, ".") == 3 {
			return fmt.Sprintf("Mozilla/5.0 (%s) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/%d.0.0.0 Safari/537.36", platform, n)
		}
	}
	return ""
}

// alive reports whether the browser process is still running.
func (p *process) alive() bool {
	select {
	case <-p.exited:
		return false
	case <-p.conn.done:
		return false
	default:
		return true
	}
}

// guardScript waits until its standard input closes, which happens when the
// service exits in any way, SIGKILL included, then kills every process still
// using the profile directory and removes it. Chromium's zygote and renderers
// can outlive a killed browser process, and they are not always in its
// process group, so the profile directory on the command line is what finds
// them. It removes the browser's own TMPDIR too, when it has one ($2).
//
// A browser closed by the service has been cleaned up already (see
// process.close), which then writes "done" before closing: the guard ends
// without its scan, which reads every process's command line, a fork per
// process, a third of a CPU-second on a busy machine.
const guardScript = `IFS= read -r said || true
[ "$said" = done ] && exit 0
cat >/dev/null
for f in /proc/[0-9]*/cmdline; do
  # Renderers forked by the zygote rewrite their command line as one
  # space-separated string, so look for the argument followed by a space.
  # A shell pattern, not grep: grep's own command line would hold the path.
  line=$(tr '\0' ' ' <"$f" 2>/dev/null)
  case "$line " in
    *"--user-data-dir=$1 "*) p=${f#/proc/}; kill -9 "${p%/cmdline}" 2>/dev/null ;;
  esac
done
s=$(readlink "$1/SingletonSocket" 2>/dev/null) && case "$s" in
  */org.chromium.Chromium.*/SingletonSocket) rm -rf -- "${s%/SingletonSocket}" ;;
esac
rm -rf -- "$1" ${2:+"$2"}`

// chromeTempDir makes the directory a browser gets as its TMPDIR, removed
// with its profile, or returns "" to leave Chromium the service's own.
//
// Chromium makes its singleton socket in TMPDIR
// (org.chromium.Chromium.XXXXXX/SingletonSocket) and links to it from the
// profile. A browser killed between the two leaves a directory nothing
// points to, one per such launch, in the shared /tmp. In a directory of its
// own that is removed with the rest. The socket's path must fit a Unix
// socket's 108 bytes: where the service's temporary directory is too deep
// for that, the browser's goes in /tmp.
func chromeTempDir() string {
	const socketSuffix = "/org.chromium.Chromium.XXXXXX/SingletonSocket"
	for _, parent := range []string{os.TempDir(), "/tmp"} {
		dir, err := os.MkdirTemp(parent, "sous-tmp-")
		if err != nil {
			continue
		}
		if len(dir)+len(socketSuffix) < 108 {
			return dir
		}
		os.Remove(dir)
	}
	return ""
}

// removeSingletonDir removes the directory Chromium made in TMPDIR for its
// singleton socket (org.chromium.Chromium.XXXXXX), which the profile's
// SingletonSocket links to, where the browser had no TMPDIR of its own (see
// chromeTempDir); left alone, one would pile up in /tmp per launch.
func removeSingletonDir(dataDir string) {
	target, err := os.Readlink(filepath.Join(dataDir, "SingletonSocket"))
	if err != nil || filepath.Base(target) != "SingletonSocket" {
		return
	}
	dir := filepath.Dir(target)
	if strings.HasPrefix(filepath.Base(dir), "org.chromium.Chromium.") {
		os.RemoveAll(dir)
	}
}

// guardDone tells a guard that the service has cleaned up after its browser
// itself.
const guardDone = "done\n"

// startGuard starts the guard for dataDir and returns the write end of its
// standard input; closing it (or exiting) sets the guard off.
func startGuard(dataDir, tmpDir string) (*os.File, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", guardScript, "sous-guard", dataDir, tmpDir)
	cmd.Stdin = r
	// Its own process group, so that a Ctrl-C aimed at the service does not
	// stop the guard before it has done its work.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("start guard: %w", err)
	}
	r.Close()
	go cmd.Wait() // reap it when it is done
	return w, nil
}

// killUsing kills the processes whose command line names dataDir as their
// profile, until none are left (a child can fork while its parent dies).
// It reports whether it saw none left before its deadline.
func killUsing(dataDir string) bool {
	want := []byte("--user-data-dir=" + dataDir)
	deadline := time.Now().Add(5 * time.Second)
	for quiet := 0; time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if n := killMatching(want); n == 0 {
			if quiet++; quiet == 3 {
				return true
			}
		} else {
			quiet = 0
		}
	}
	return false
}

func killMatching(arg []byte) int {
	n := 0
	eachProcessWhere(func(cmdline []byte) bool { return hasArg(cmdline, arg) }, func(pid int, _ string, _ []byte) {
		syscall.Kill(pid, syscall.SIGKILL)
		n++
	})
	return n
}

// hasArg reports whether the command line from /proc/PID/cmdline holds arg
// as a whole argument. Chromium rewrites the command line of the processes
// its zygote forks (the renderers) into one space-separated string, so an
// argument ends at a NUL, a space or the end.
func hasArg(cmdline, arg []byte) bool {
	for rest := cmdline; ; {
		i := bytes.Index(rest, arg)
		if i < 0 {
			return false
		}
		start := i == 0 || rest[i-1] == 0 || rest[i-1] == ' '
		end := i+len(arg) == len(rest) || rest[i+len(arg)] == 0 || rest[i+len(arg)] == ' '
		if start && end {
			return true
		}
		rest = rest[i+1:]
	}
}

// pssOf sums the proportional set size of the processes using dataDir.
func pssOf(dataDir string) int64 {
	var total int64
	eachProcess(dataDir, func(dir string, _ []byte) {
		rollup, err := os.ReadFile(filepath.Join(dir, "smaps_rollup"))
		if err != nil {
			return
		}
		for line := range strings.Lines(string(rollup)) {
			if rest, ok := strings.CutPrefix(line, "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
				total += kb << 10
			}
		}
	})
	return total
}

// clockTick is the unit of the times in /proc/PID/stat: USER_HZ, which is
// 100 on every Linux architecture Go runs on.
const clockTick = 10 * time.Millisecond

// cpuOf adds to byKind the processor time, user and system, that the live
// Chromium processes of the profile dataDir have used, with that of the
// children they have reaped (a renderer that exited is counted in its
// zygote), under each process's kind: "browser", "renderer", "gpu-process",
// "zygote", or a utility's service ("network", "storage" …).
func cpuOf(dataDir string, byKind map[string]time.Duration) {
	eachProcess(dataDir, func(dir string, cmdline []byte) {
		if ticks, ok := cpuTicks(dir, true); ok {
			byKind[processKind(cmdline)] += time.Duration(ticks) * clockTick
		}
	})
}

// cpuTicks is the processor time, user and system, of the process whose
// /proc directory is procDir, in clock ticks; withChildren adds that of the
// children it has reaped.
func cpuTicks(procDir string, withChildren bool) (int64, bool) {
	stat, err := os.ReadFile(filepath.Join(procDir, "stat"))
	if err != nil {
		return 0, false
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// the fields after it start past the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	// utime, stime, cutime, cstime are fields 14-17; fields[0] is 3.
	if len(fields) < 15 {
		return 0, false
	}
	last := 13
	if withChildren {
		last = 15
	}
	var ticks int64
	for _, f := range fields[11:last] {
		n, _ := strconv.ParseInt(f, 10, 64)
		ticks += n
	}
	return ticks, true
}

// processKind names a Chromium process by its --type, and a utility process
// by its service ("network.mojom.NetworkService" is "network"). Chromium
// rewrites its children's command lines into one space-separated argument.
func processKind(cmdline []byte) string {
	kind := "browser"
	for _, arg := range strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' }) {
		if v, ok := strings.CutPrefix(arg, "--type="); ok && kind == "browser" {
			kind = v
		} else if v, ok := strings.CutPrefix(arg, "--utility-sub-type="); ok {
			return strings.Split(v, ".")[0]
		}
	}
	return kind
}

// eachProcess calls fn with the /proc directory and the command line of
// every process started with the profile dataDir.
func eachProcess(dataDir string, fn func(procDir string, cmdline []byte)) {
	want := []byte("--user-data-dir=" + dataDir)
	eachProcessWhere(func(cmdline []byte) bool { return hasArg(cmdline, want) }, func(_ int, dir string, cmdline []byte) {
		fn(dir, cmdline)
	})
}

// eachProcessWhere calls fn with the pid, /proc directory and command line
// of every process but this one whose command line match accepts.
func eachProcessWhere(match func(cmdline []byte) bool, fn func(pid int, procDir string, cmdline []byte)) {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		cmdline, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || !match(cmdline) {
			continue
		}
		fn(pid, dir, cmdline)
	}
}

// CountProcesses returns how many processes run with a profile directory
// under dir; tests use it to check that no browser outlives the pool.
func CountProcesses(dir string) int {
	profile := []byte("--user-data-dir=" + dir)
	n := 0
	eachProcessWhere(func(cmdline []byte) bool {
		return bytes.Contains(cmdline, profile) && !bytes.Contains(cmdline, []byte("sous-guard"))
	}, func(int, string, []byte) { n++ })
	return n
}
