package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// benchService is a `sous serve` child process that the service mode of
// bench sends its renders to, so that the figure includes everything a
// caller pays: HTTP, JSON, admission and the service's own steps.
type benchService struct {
	cmd    *exec.Cmd
	url    string
	client *http.Client
	exited chan error
}

// startBenchService starts this binary as `sous serve` with tabs tabs on a
// free loopback port and waits until it says it is ready.
func startBenchService(ctx context.Context, chrome string, tabs int) (*benchService, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("service mode: find this binary: %w", err)
	}
	port, err := unusedPort()
	if err != nil {
		return nil, fmt.Errorf("service mode: %w", err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	args := []string{"serve", "--addr", addr, "--allow-private", "--concurrency", strconv.Itoa(tabs), "--log-level", "error"}
	if chrome != "" {
		args = append(args, "--chrome", chrome)
	}
	cmd := exec.Command(self, args...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives bench
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("service mode: start sous serve: %w", err)
	}
	s := &benchService{
		cmd: cmd, url: "http://" + addr, exited: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
	}
	go func() { s.exited <- cmd.Wait() }()
	if err := s.waitReady(ctx, time.Minute); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

// unusedPort returns a loopback port that nothing listens on now.
func unusedPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls /readyz until it answers 200, the child exits, or
// within passes.
func (s *benchService) waitReady(ctx context.Context, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/readyz", nil)
		if resp, err := s.client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-s.exited:
			s.exited <- err
			return fmt.Errorf("service mode: sous serve exited before it was ready: %v", err)
		case <-ctx.Done():
			return fmt.Errorf("service mode: sous serve was not ready within %s", within)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// render asks the service for target as markdown, in Chromium, bypassing
// its cache.
func (s *benchService) render(ctx context.Context, target string) error {
	body, err := json.Marshal(map[string]any{"url": target, "engine": "browser", "formats": []string{"markdown"}, "cacheTTL": 0})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url+"/v1/render", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST /v1/render: %s: %s", resp.Status, bytes.TrimSpace(reply))
	}
	return nil
}

// stop ends the child with SIGTERM, as an operator would, and waits for it.
func (s *benchService) stop() error {
	s.client.CloseIdleConnections()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-s.exited:
		var exit *exec.ExitError
		if err != nil && !errors.As(err, &exit) {
			return err
		}
		return nil
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		return errors.New("service mode: sous serve did not exit within 30 s of SIGTERM")
	}
}
