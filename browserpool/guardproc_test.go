package browserpool

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The guard kills whatever still uses a profile once its pipe closes, as it
// does when the service dies by SIGKILL, and removes the profile. The
// stand-ins here carry the profile flag as Chromium's processes do: as an
// argument of its own, and inside one space-joined command line, the way
// the zygote rewrites its renderers'.
func TestGuardKillsLeftovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "profile")
	other := dir + "-other" // a longer name sharing the prefix must survive
	for _, d := range []string{dir, other} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	start := func(args ...string) *exec.Cmd {
		// Not exec: sh must stay, with the flag on its command line.
		cmd := exec.Command("/bin/sh", append([]string{"-c", "sleep 60; :"}, args...)...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	own := start("sh", "--user-data-dir="+dir)
	joined := start("sh --type=renderer --user-data-dir=" + dir + " --lang=en")
	bystander := start("sh", "--user-data-dir="+other)

	tmp := filepath.Join(t.TempDir(), "tmp")
	if err := os.MkdirAll(filepath.Join(tmp, "org.chromium.Chromium.abcdef"), 0o700); err != nil {
		t.Fatal(err)
	}
	w, err := startGuard(dir, tmp)
	if err != nil {
		t.Fatal(err)
	}
	w.Close() // as the kernel does when the service dies

	exited := func(c *exec.Cmd) bool {
		done := make(chan struct{})
		go func() { c.Wait(); close(done) }()
		select {
		case <-done:
			return true
		case <-time.After(time.Minute): // only against a hang: the machine may be busy
			return false
		}
	}
	if !exited(own) || !exited(joined) {
		t.Fatal("the guard left a process using the profile running")
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		_, errDir := os.Stat(dir)
		_, errTmp := os.Stat(tmp)
		if os.IsNotExist(errDir) && os.IsNotExist(errTmp) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the guard did not remove the profile and the browser's TMPDIR")
		}
	}
	if err := bystander.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("the guard killed a process of another profile: %v", err)
	}
}
