package browserpool

import (
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/fetch"
)

// signSessionRequests makes every request of a session's tab carry the
// pool's signature (Web Bot Auth), as a render's do: it pauses them all
// and continues each with its own signature headers, until the session
// ends. It returns the command that starts the pausing, for attach to send
// among the tab's first commands; the subscription is taken before.
func (sc *sessionContext) signSessionRequests(st *sessionTab, signer RequestSigner) (method string, params any) {
	paused, stop := st.s.Subscribe(fetch.RequestPaused.Method)
	sc.wg.Go(func() {
		defer stop()
		for {
			select {
			case raw, ok := <-paused:
				if !ok {
					return
				}
				var ev fetch.EventRequestPaused
				if jsonv2.Unmarshal(raw, &ev) != nil || ev.Request == nil {
					continue
				}
				cont := continueWith(&ev, nil, signer, sc.pool.opts.Logger)
				// A request the page cancelled meanwhile cannot be
				// continued, which is no fault.
				if err := st.s.Call(sc.life, fetch.CommandContinueRequest, cont, nil); err != nil && sc.life.Err() == nil {
					sc.pool.opts.Logger.Debug("continuing a session's request", "err", err)
				}
			case <-sc.life.Done():
				return
			}
		}
	})
	return fetch.CommandEnable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}
}
