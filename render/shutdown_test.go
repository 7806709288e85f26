package render_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sous-dev/sous/render"
)

// Close cancels the renders in flight, the shared ones' goroutines
// included, and returns only once they have ended: nothing of the
// service runs after it.
func TestCloseEndsRendersInFlight(t *testing.T) {
	held := &fetcher{release: make(chan struct{}), ended: make(chan error, 2)}
	defer close(held.release)
	svc, _, _ := newService(t, held)
	errs := make(chan error, 2)
	for _, url := range []string{"https://example.com/a", "https://example.com/b"} {
		go func() {
			_, err := svc.Render(context.Background(), &render.Request{URL: url})
			errs <- err
		}()
	}
	for held.calls.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	svc.Close()
	// Close has returned: both fetches were cancelled and have ended.
	for range 2 {
		select {
		case <-held.ended:
		default:
			t.Fatal("Close returned while a render was still fetching")
		}
	}
	for range 2 {
		if err := <-errs; !errors.Is(err, render.ErrClosed) {
			t.Errorf("a render cut off by Close: %v, want ErrClosed", err)
		}
	}
	if _, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/c"}); !errors.Is(err, render.ErrClosed) {
		t.Errorf("a render after Close: %v", err)
	}
}

// Shutdown lets renders in flight finish within its context, refusing new
// ones meanwhile.
func TestShutdownLetsRendersFinish(t *testing.T) {
	held := &fetcher{release: make(chan struct{})}
	svc, _, _ := newService(t, held)
	done := make(chan error, 1)
	go func() {
		_, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/a"})
		done <- err
	}()
	for held.calls.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	shut := make(chan error, 1)
	go func() { shut <- svc.Shutdown(context.Background()) }()
	gone, cancel := context.WithCancel(context.Background())
	cancel() // a caller that does not wait: the answer comes at once
	for {
		_, err := svc.Render(gone, &render.Request{URL: "https://example.com/new"})
		if errors.Is(err, render.ErrClosed) {
			break
		}
		time.Sleep(time.Millisecond) // Shutdown has not begun yet
	}
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned (%v) with a render in flight", err)
	default:
	}
	close(held.release)
	if err := <-done; err != nil {
		t.Errorf("the render in flight: %v", err)
	}
	if err := <-shut; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// slowSignals is a SignalReader that answers only after its context ends,
// and takes a while even then.
type slowSignals struct{ returned atomic.Bool }

func (s *slowSignals) ContentSignals(ctx context.Context, url string) map[string]string {
	<-ctx.Done()
	time.Sleep(100 * time.Millisecond)
	s.returned.Store(true)
	return nil
}

// A render that fails before the site's Content Signals come leaves their
// reader running; Close still waits for it.
func TestCloseWaitsForSignalReaders(t *testing.T) {
	signals := &slowSignals{}
	svc, err := render.NewService(render.Options{
		Fetcher: &fetcher{err: render.ErrNavigation}, Extractor: extractor{}, Signals: signals,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Render(context.Background(), &render.Request{URL: "https://example.com/"}); !errors.Is(err, render.ErrNavigation) {
		t.Fatalf("render: %v, want the fetcher's navigation error", err)
	}
	svc.Close()
	if !signals.returned.Load() {
		t.Error("Close returned while a Content Signals reader still ran")
	}
}
