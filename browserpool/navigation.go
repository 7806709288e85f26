package browserpool

import (
	"context"
	"sync"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/page"
)

// maxHops is how many navigations of its own a page may make after the
// document it was asked for (script redirects, meta refreshes): the
// render follows that many, then refuses more.
const maxHops = 5

// navigationWatch follows the main frame of a tab during one render: the
// documents it committed (for Meta.URL and Meta.Redirects), its history
// changes, and whether it is loading a document now, which the settle step
// waits out. It changes nothing; the navigation gate (see tab.intercept)
// refuses what a render does not follow.
type navigationWatch struct {
	frame cdp.FrameID

	mu      sync.Mutex
	chain   []string // the URLs of the main frame, in order, repeats left out
	commits int      // cross-document navigations committed
	// loads counts frameStartedLoading less frameStoppedLoading: the two
	// come on separate channels, so one document's stop may be read after
	// the next one's start, and a flag would say "not loading" while the
	// next document loads.
	loads  int
	notify chan struct{}

	stopOnce sync.Once
	cancel   func()
	done     chan struct{}
}

func newNavigationWatch(s session, frame cdp.FrameID) *navigationWatch {
	w := &navigationWatch{frame: frame, notify: make(chan struct{}, 1), done: make(chan struct{})}
	navigated, stopNavigated := s.Subscribe(page.FrameNavigated.Method)
	within, stopWithin := s.Subscribe(page.NavigatedWithinDocument.Method)
	started, stopStarted := s.Subscribe(page.FrameStartedLoading.Method)
	stopped, stopStopped := s.Subscribe(page.FrameStoppedLoading.Method)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel = func() {
		cancel()
		stopNavigated()
		stopWithin()
		stopStarted()
		stopStopped()
	}
	go func() {
		defer close(w.done)
		for {
			select {
			case raw, ok := <-navigated:
				if !ok {
					return
				}
				var ev page.EventFrameNavigated
				if jsonv2.Unmarshal(raw, &ev) == nil && ev.Frame != nil && ev.Frame.ID == frame && ev.Frame.URL != "about:blank" {
					w.update(func() {
						w.commits++
						w.visit(ev.Frame.URL + ev.Frame.URLFragment)
					})
				}
			case raw, ok := <-within:
				if !ok {
					return
				}
				var ev page.EventNavigatedWithinDocument
				if jsonv2.Unmarshal(raw, &ev) == nil && ev.FrameID == frame {
					w.update(func() { w.visit(ev.URL) })
				}
			case raw, ok := <-started:
				if !ok {
					return
				}
				var ev page.EventFrameStartedLoading
				if jsonv2.Unmarshal(raw, &ev) == nil && ev.FrameID == frame {
					w.update(func() { w.loads++ })
				}
			case raw, ok := <-stopped:
				if !ok {
					return
				}
				var ev page.EventFrameStoppedLoading
				if jsonv2.Unmarshal(raw, &ev) == nil && ev.FrameID == frame {
					w.update(func() { w.loads = max(0, w.loads-1) })
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return w
}

func (w *navigationWatch) update(f func()) {
	w.mu.Lock()
	f()
	w.mu.Unlock()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// visit records u as the main frame's address; callers hold mu.
func (w *navigationWatch) visit(u string) {
	if n := len(w.chain); n == 0 || w.chain[n-1] != u {
		w.chain = append(w.chain, u)
	}
}

// state returns how many documents the main frame committed and whether
// it is loading one now.
func (w *navigationWatch) state() (commits int, loading bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.commits, w.loads > 0
}

// redirects returns the addresses the main frame went through before its
// last one, starting from requested, or nil when it ended where it was
// asked to load.
func (w *navigationWatch) redirects(requested string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	chain := w.chain
	if len(chain) == 0 || chain[len(chain)-1] == requested {
		return nil
	}
	out := []string{requested}
	for _, u := range chain[:len(chain)-1] {
		if u != out[len(out)-1] {
			out = append(out, u)
		}
	}
	return out
}

func (w *navigationWatch) stop() {
	w.stopOnce.Do(func() {
		w.cancel()
		<-w.done
	})
}
