package browserpool

import (
	"context"
	"errors"
	"fmt"
	"time"

	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
)

// What "quiet" means to the settle step.
const (
	// networkQuiet is how long no request may start or end.
	networkQuiet = 500 * time.Millisecond
	// domQuiet is how long the DOM may not change.
	domQuiet = 300 * time.Millisecond
	// timerQuiet is how long after a followed timer fired the page is
	// still busy: what the timer set off (a fetch) reaches the network
	// events a moment later.
	timerQuiet = 300 * time.Millisecond
	// staleRequest is the age past which a request in flight is taken for
	// a long poll or a stream and no longer awaited.
	staleRequest = 2 * time.Second
	// settlePoll is how often the page is asked; a page idle at load
	// settles after one poll.
	settlePoll = 50 * time.Millisecond
)

// errUnsettled is returned by settle when the budget ran out first.
var errUnsettled = errors.New("the page was still busy when its settle budget ran out")

// settle waits until the page is quiet: no request in flight, and none
// whose answer goes to script (fetch, XHR, script) started or
// ended for networkQuiet, no DOM change for domQuiet, no timer due within
// the budget pending and none fired for timerQuiet, no fetch or XHR of the
// page's script awaiting its answer or its handler (settle.js), and the main
// frame not loading a document. Activity
// before since (the load event, or the start of a scroll) does not count,
// so a page that was idle by then settles at the first poll. It returns
// errUnsettled when budget runs out first, and the context's error when
// ctx ends.
func (r *renderRun) settle(ctx context.Context, budget time.Duration, since time.Time) error {
	if budget <= 0 {
		return nil
	}
	r.domChanged = false
	deadline := since.Add(budget)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	// DOM changes count from here.
	if r.scripts {
		if _, err := r.pageState(ctx, 0, true); err != nil {
			return err
		}
	}
	for {
		select {
		case <-time.After(settlePoll):
		case <-ctx.Done():
			return ctx.Err()
		}
		busy, err := r.quiet(ctx, since, time.Until(deadline))
		if err != nil {
			return err
		}
		if busy == "" {
			return nil
		}
		r.busy = busy
		if !time.Now().Before(deadline) {
			return errUnsettled
		}
	}
}

// quiet returns "" when the page is quiet now (see settle), else what keeps
// it busy, in words for the warning of a page that never settled.
func (r *renderRun) quiet(ctx context.Context, since time.Time, left time.Duration) (string, error) {
	// Once the gate has refused a navigation it refuses every later one,
	// so no document can load any more: a load the main frame still
	// reports, or a navigation settle.js saw the page start, is the refused
	// one, whose end Chromium does not always report (the suite saw it hold
	// a render to its 50 s budget).
	refused := r.refusedAny()
	if _, loading := r.nav.state(); loading && !refused {
		return "a document was loading", nil
	}
	inflight, changed := r.net.activity(staleRequest)
	if inflight > 0 {
		return fmt.Sprintf("%d requests were in flight", inflight), nil
	}
	if changed.After(since) && time.Since(changed) < networkQuiet {
		return "a request had just ended", nil
	}
	if !r.scripts {
		return "", nil // nothing changes the DOM of a page without script
	}
	state, err := r.pageState(ctx, left, false)
	if err != nil {
		return "", err
	}
	if state == nil {
		return "the page did not answer", nil
	}
	r.domChanged = r.domChanged || state.Changed
	switch {
	case r.domChanged && state.QuietMs < float64(domQuiet.Milliseconds()):
		return "its DOM kept changing", nil
	case state.Timers > 0:
		return fmt.Sprintf("%d timers were pending", state.Timers), nil
	case state.Requests > 0:
		return fmt.Sprintf("its scripts awaited %d requests", state.Requests), nil
	case state.TimerQuietMs < float64(timerQuiet.Milliseconds()):
		return "a timer had just fired", nil
	case state.Leaving && !refused:
		return "a navigation it started had not reached the browser", nil
	case state.Parsing:
		return "its document was still being parsed", nil
	}
	return "", nil
}

// refusedAny reports whether the navigation gate has refused the page a
// navigation. Then a navigation settle.js saw start is not awaited: the
// gate answers a refused one 204, which ends it without an event the page
// sees, and refuses every later one too.
func (r *renderRun) refusedAny() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused > 0
}

// settleState is what settle.js says of the page (settle_state.js).
type settleState struct {
	Changed bool    `json:"changed"` // the DOM changed since the last mark
	QuietMs float64 `json:"quietMs"` // since the DOM last changed
	// TimerQuietMs is the time since a timer settle.js follows fired.
	TimerQuietMs float64 `json:"timerQuietMs"`
	Timers       int     `json:"timers"`   // pending, due within the budget left
	Requests     int     `json:"requests"` // fetches and XHRs of the page's script not yet answered and handled
	Leaving      bool    `json:"leaving"`  // a navigation to another document has started
	Parsing      bool    `json:"parsing"`  // the document is still being parsed: scripts are to come
}

// pageState asks settle.js for the page's state, setting a mark with mark.
// It returns nil, and no error, when there is no answer yet: the document
// went away under the call (a navigation), or settle.js was not in it
// (a document written with setDocumentContent), and is installed now.
func (r *renderRun) pageState(ctx context.Context, left time.Duration, mark bool) (*settleState, error) {
	before, _ := r.nav.state()
	raw, err := r.t.call(ctx, settleStateScript, max(left.Milliseconds(), 0), mark)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if after, loading := r.nav.state(); after != before || loading {
			return nil, nil // the next poll asks the next document
		}
		return nil, fmt.Errorf("read the page's activity: %w", err)
	}
	var state *settleState
	if err := jsonv2.Unmarshal(raw, &state); err != nil {
		return nil, fmt.Errorf("read the page's activity: %w", err)
	}
	if state == nil {
		if _, err := r.t.eval(ctx, settleScript); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("install settle.js: %w", err)
		}
	}
	return state, nil
}
