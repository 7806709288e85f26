package isolate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// worker is the parent's handle on one worker process.
type worker struct {
	cmd    *exec.Cmd
	conn   *conn
	stdin  io.Closer
	frames chan *frame   // from the worker, closed when its output ends
	exited chan struct{} // closed once the process is reaped
	stderr *tail
	runs   int // guarded by whoever holds the worker

	killOnce sync.Once
}

// startWorker starts command as a worker and waits for its ready frame.
// The worker gets no environment, / as its directory, its own process group
// (so a terminal's signals and our kill reach it and only it), and the
// kernel kills it when the thread that started it dies (Pdeathsig), which,
// as in browserpool, is a thread kept for the worker's whole life.
func startWorker(ctx context.Context, command []string) (*worker, error) {
	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = []string{}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	w := &worker{cmd: cmd, frames: make(chan *frame, 16), exited: make(chan struct{}), stderr: &tail{max: 4 << 10}}
	cmd.Stderr = w.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	w.stdin = stdin
	w.conn = newConn(stdout, stdin)

	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // Pdeathsig follows the thread (go.dev/issue/27505)
		defer runtime.UnlockOSThread()
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(w.exited)
	}()
	if err := <-started; err != nil {
		return nil, fmt.Errorf("start isolate worker %s: %w", command[0], err)
	}
	go w.readLoop()

	ready := time.NewTimer(startTimeout)
	defer ready.Stop()
	select {
	case f, ok := <-w.frames:
		if ok && f.Type == "ready" {
			return w, nil
		}
		w.kill()
		return nil, fmt.Errorf("isolate worker %s did not start: %s", command[0], w.stderr.String())
	case <-ready.C:
		w.kill()
		return nil, fmt.Errorf("isolate worker %s did not answer within %v", command[0], startTimeout)
	case <-ctx.Done():
		w.kill()
		return nil, ctx.Err()
	}
}

// startTimeout bounds a worker's start: exec, the Go runtime and its ready
// frame, on a loaded machine.
const startTimeout = 10 * time.Second

func (w *worker) readLoop() {
	defer close(w.frames)
	for {
		f, err := w.conn.read()
		if err != nil {
			return
		}
		w.frames <- f
	}
}

// kill ends the worker's process group and waits until it is reaped. It is
// safe to call more than once.
func (w *worker) kill() {
	w.killOnce.Do(func() {
		w.stdin.Close()
		if p := w.cmd.Process; p != nil {
			syscall.Kill(-p.Pid, syscall.SIGKILL)
		}
	})
	<-w.exited
}

// alive reports whether the worker's process still runs.
func (w *worker) alive() bool {
	select {
	case <-w.exited:
		return false
	default:
		return true
	}
}

// idle reports whether an idle worker can take a run: its process runs and
// its output has not ended. (An idle worker sends nothing; the only thing
// to receive is the end of its output.)
func (w *worker) idle() bool {
	select {
	case _, ok := <-w.frames:
		if !ok {
			return false
		}
	default:
	}
	return w.alive()
}

// crashError is what a run reports when its worker died under it: the
// runtime ran out of address space (RLIMIT_AS) or of stack.
func (w *worker) crashError() *frameError {
	// Give the process a moment to be reaped, so stderr is complete.
	select {
	case <-w.exited:
	case <-time.After(time.Second):
	}
	msg := w.stderr.String()
	if containsAny(msg, "stack exceeds", "stack overflow") {
		return &frameError{Code: codeError, Message: "RangeError: Maximum call stack size exceeded"}
	}
	return &frameError{Code: codeMemory, Message: "the script ran its isolate out of memory"}
}

// tail keeps the last max bytes written to it.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.b)
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

var errWorkerGone = errors.New("isolate worker exited")
