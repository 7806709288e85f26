package isolate_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sous-dev/sous/isolate"
	"github.com/sous-dev/sous/render"
)

// workers lists this process's isolate workers, from /proc.
func workers(t *testing.T) []int {
	t.Helper()
	var pids []int
	paths, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so cut at the last ')'.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(p), "cmdline"))
		if bytes.Contains(cmdline, []byte(isolate.WorkerCommand)) {
			pid, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			pids = append(pids, pid)
		}
	}
	return pids
}

// settled waits until the shared pool has replaced every worker it lost,
// so that no worker of its starts while a test counts processes.
func settled(t *testing.T) {
	t.Helper()
	for pool.Stats().Workers < 2 {
		time.Sleep(10 * time.Millisecond)
	}
}

// TestWorkerProcesses: workers run with no environment in their own process
// group, and Close leaves none behind.
func TestWorkerProcesses(t *testing.T) {
	settled(t)
	before := len(workers(t))
	p, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	pids := workers(t)
	if len(pids) != before+3 {
		t.Fatalf("%d workers running, want %d", len(pids), before+3)
	}
	for _, pid := range pids {
		env, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
		if err != nil {
			t.Fatal(err)
		}
		if len(env) != 0 {
			t.Errorf("worker %d has an environment: %q", pid, env)
		}
		if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
			t.Errorf("worker %d is in process group %d, not its own", pid, pgid)
		}
	}
	if st := p.Stats(); st.Workers != 3 || st.Busy != 0 {
		t.Errorf("stats %+v, want 3 idle workers", st)
	}
	p.Close()
	p.Close() // twice is fine
	if n := len(workers(t)); n != before {
		t.Errorf("%d workers after Close, want %d", n, before)
	}
	if _, err := p.Eval(context.Background(), "return 1", nil); !errors.Is(err, render.ErrClosed) {
		t.Errorf("Eval after Close: %v, want ErrClosed", err)
	}
}

// TestWorkerKilledWhileIdle: a worker that dies between runs is replaced,
// and no run sees it.
func TestWorkerKilledWhileIdle(t *testing.T) {
	settled(t)
	before := workers(t)
	p, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, pid := range workers(t) {
		if !slices.Contains(before, pid) {
			syscall.Kill(pid, syscall.SIGKILL)
			waitDead(t, pid)
		}
	}
	for range 3 {
		if out, err := evalPatiently(p, "return 6 * 7", "null"); err != nil || out != "42" {
			t.Fatalf("%s, %v; want 42", out, err)
		}
	}
	if st := p.Stats(); st.Restarts < 1 {
		t.Errorf("stats %+v: the killed worker was not replaced", st)
	}
}

// waitDead waits until pid has exited (a zombie, or reaped).
func waitDead(t *testing.T, pid int) {
	t.Helper()
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return
		}
		if fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])); len(fields) > 0 && fields[0] == "Z" {
			return
		}
		runtime.Gosched()
	}
}

// TestWorkerRecycled: a worker is replaced after MaxRunsPerWorker runs.
func TestWorkerRecycled(t *testing.T) {
	p, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Workers: 1, MaxRunsPerWorker: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for range 5 {
		if _, err := evalPatiently(p, "return 1", "null"); err != nil {
			t.Fatal(err)
		}
	}
	if st := p.Stats(); st.Restarts != 2 {
		t.Errorf("stats %+v, want 2 restarts after 5 runs of 2 each", st)
	}
}

func TestNewErrors(t *testing.T) {
	for name, opts := range map[string]isolate.Options{
		"no such command": {Command: []string{"/nonexistent/sous"}},
		"not a worker":    {Command: []string{"/bin/true"}},
		"negative":        {Workers: -1},
		"tiny memory":     {Script: isolate.Limits{Memory: 1000}},
	} {
		t.Run(name, func(t *testing.T) {
			if p, err := isolate.New(context.Background(), opts); err == nil {
				p.Close()
				t.Error("New succeeded")
			}
		})
	}
}

// TestOverloaded: when every worker stays busy for a whole run's length, a
// caller gets ErrOverloaded (429) instead of waiting in a pile-up.
func TestOverloaded(t *testing.T) {
	p, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Workers: 1,
		Script: isolate.Limits{Timeout: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rendering, release := make(chan struct{}), make(chan struct{})
	programs := p.Programs(rendererFunc(func(ctx context.Context, req *render.Request) (*render.Result, error) {
		close(rendering)
		<-release
		return echo(ctx, req)
	}))
	done := make(chan error, 1)
	go func() {
		_, err := programs.Run(context.Background(), &render.Program{Code: `return (await sous.render("https://a.example")).markdown`})
		done <- err
	}()
	<-rendering // the program holds the only worker
	if _, err := p.Eval(context.Background(), "return 1", nil); !errors.Is(err, render.ErrOverloaded) {
		t.Errorf("Eval while the worker is busy: %v, want ErrOverloaded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Errorf("the program: %v", err)
	}
}

// TestCPULimit: a program's CPU time is bounded apart from its wall time,
// which is mostly spent waiting for renders.
func TestCPULimit(t *testing.T) {
	p, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Workers: 1,
		Code: isolate.Limits{Timeout: 20 * time.Second, CPUTime: 300 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Programs(rendererFunc(echo)).Run(context.Background(), &render.Program{Code: `await sous.links("https://a.example"); while (true) {}`})
	var se *render.ScriptError
	if !errors.As(err, &se) || !errors.Is(err, render.ErrScriptTimeout) || !strings.Contains(se.Message, "CPU time") {
		t.Errorf("error %v, want script_timeout for CPU time", err)
	}
}

// TestCloseDuringRun: Close ends a run in progress with ErrClosed.
func TestCloseDuringRun(t *testing.T) {
	p, err := isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	rendering := make(chan struct{})
	programs := p.Programs(rendererFunc(func(ctx context.Context, req *render.Request) (*render.Result, error) {
		close(rendering)
		<-ctx.Done()
		return nil, ctx.Err()
	}))
	done := make(chan error, 1)
	go func() {
		_, err := programs.Run(context.Background(), &render.Program{Code: `return await sous.render("https://a.example")`})
		done <- err
	}()
	<-rendering
	p.Close()
	if err := <-done; !errors.Is(err, render.ErrClosed) {
		t.Errorf("the run ended with %v, want ErrClosed", err)
	}
}
