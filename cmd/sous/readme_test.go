package main

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sous-dev/sous/fixtures"
)

// Every shell block of the README runs as written, against a local server
// and the fixture pages in place of the example URLs, and succeeds: exit
// status 0, no HTTP error (curl is given --fail-with-body), no
// "success": false in what it prints.
func TestREADMECommands(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("jq"); err != nil {
		t.Fatal("the README's commands use jq; `make test` installs it")
	}
	blocks := readmeBlocks(t, "../../README.md")
	if len(blocks) < 5 {
		t.Fatalf("found %d shell blocks in the README; the parser has lost them", len(blocks))
	}
	site := fixtures.Start()
	defer site.Close()
	// --timeout bounds the fixture page that never loads, which the README's
	// crawl example meets; it is what a render has on a busy machine too
	// (8 s was once too little for the first, with a screenshot).
	s := startServer(t, "--allow-private", "--crawl-host-delay", "1ms", "--timeout", "20s")
	bin := t.TempDir() // sous and nats-server, first on PATH
	if err := os.Symlink(sousBinary(), filepath.Join(bin, "sous")); err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	urls := strings.NewReplacer(
		"https://example.com/login", site.URL+"/app/login",
		"https://example.com/account", site.URL+"/app/account",
		"https://example.com/docs/", site.URL+"/site/",
		"https://example.com/docs", site.URL+"/site/",
		"https://example.com/app", site.URL+"/spa.html",
		"https://example.com", site.URL+"/article.html",
		"https://example.org", site.URL+"/site/a.html",
	)
	for _, b := range blocks {
		t.Run(fmt.Sprintf("line %d", b.line), func(t *testing.T) {
			script := urls.Replace(b.text)
			script = strings.ReplaceAll(script, "localhost:8080", strings.TrimPrefix(s.url, "http://"))
			script = regexp.MustCompile(`\bcurl -s(N?)\b`).ReplaceAllString(script, "curl -sS$1 --fail-with-body")
			script = regexp.MustCompile(`(?m)^bin/sous (render|crawl) `).ReplaceAllString(script, "sous $1 --allow-private ")
			if strings.Contains(script, "sous serve") {
				runClusterBlock(t, script, bin, repo)
				return
			}
			out := runBlock(t, script, bin, t.TempDir(), 3*time.Minute)
			if strings.Contains(out, `"success": false`) || strings.Contains(out, `"success":false`) {
				t.Errorf("a command failed:\n%s\n--- printed ---\n%s", b.text, out)
			}
		})
	}
}

// readmeBlock is a fenced ```sh block of the README.
type readmeBlock struct {
	line int // of the opening fence
	text string
}

func readmeBlocks(t *testing.T, path string) []readmeBlock {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		blocks []readmeBlock
		cur    *readmeBlock
		n      int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		switch {
		case cur == nil && (line == "```sh" || line == "```bash"):
			cur = &readmeBlock{line: n}
		case cur != nil && line == "```":
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.text += line + "\n"
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return blocks
}

// printedFile, in a block's directory, holds what the block printed.
const printedFile = ".printed"

// runBlock runs script with bash, stopping at the first failing command,
// in dir with bin first on PATH, and returns what it printed. Output goes
// to a file, not a pipe, so that processes the script leaves in the
// background do not hold the test up.
func runBlock(t *testing.T, script, bin, dir string, timeout time.Duration) string {
	t.Helper()
	out, err := os.Create(filepath.Join(dir, printedFile))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "TMPDIR="+dir,
		"APP_PASSWORD="+fixtures.AppPassword) // the sessions examples sign in to the fixture app
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { endGroup(cmd.Process.Pid) }) // what it left running
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(timeout):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = fmt.Errorf("still running after %v", timeout)
	}
	printed, _ := os.ReadFile(out.Name())
	if err != nil {
		t.Fatalf("%v:\n%s\n--- printed ---\n%s", err, script, printed)
	}
	return string(printed)
}

// runClusterBlock runs the block that starts NATS and three nodes: with
// nats-server built from this module's dependency instead of downloaded,
// free ports instead of the README's, and a store in a temporary
// directory. It checks that every node becomes ready, then stops them all.
func runClusterBlock(t *testing.T, script, bin, repo string) {
	dir := t.TempDir()
	script = strings.ReplaceAll(script, "go install github.com/nats-io/nats-server/v2@latest",
		fmt.Sprintf("go build -C %q -o %q github.com/nats-io/nats-server/v2", repo, filepath.Join(bin, "nats-server")))
	script = strings.ReplaceAll(script, "/var/lib/nats", filepath.Join(dir, "nats"))
	natsPort := freePort(t)
	script = strings.ReplaceAll(script, "nats-server -js", fmt.Sprintf("nats-server -a 127.0.0.1 -p %d -js", natsPort))
	script = strings.ReplaceAll(script, "127.0.0.1:4222", fmt.Sprintf("127.0.0.1:%d", natsPort))
	var nodes []string
	for _, readme := range []string{":8081", ":8082", ":8083"} {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		script = strings.ReplaceAll(script, "--addr "+readme, "--addr "+addr+" --concurrency 1")
		nodes = append(nodes, addr)
	}
	runBlock(t, script, bin, dir, 5*time.Minute)
	for _, addr := range nodes {
		deadline := time.Now().Add(2 * time.Minute)
		for {
			resp, err := http.Get("http://" + addr + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("node %s never ready (%v)\n--- printed ---\n%s", addr, err, readFile(filepath.Join(dir, printedFile)))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// endGroup ends the process group pgid (SIGTERM, then SIGKILL after 20 s)
// and waits until it is gone, so that nothing writes into the test's
// directories as they are removed.
func endGroup(pgid int) {
	syscall.Kill(-pgid, syscall.SIGTERM)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if syscall.Kill(-pgid, 0) != nil {
			return
		}
		if time.Until(deadline) < 10*time.Second {
			syscall.Kill(-pgid, syscall.SIGKILL)
		}
	}
}
