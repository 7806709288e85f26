package browserpool

import (
	"context"
	"iter"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/network"

	"github.com/sous-dev/sous/netguard"
)

// networkWatch follows a tab's network events during one render: requests in
// flight (for networkidle), the origins the page touched (for the wipe) and
// the status of each document.
type networkWatch struct {
	mu       sync.Mutex
	inflight map[network.RequestID]inflightRequest
	changed  time.Time // when inflight last changed
	// scripted is when a request whose answer script reads (fetch, XHR,
	// script) last started or ended.
	scripted time.Time
	origins  map[string]bool
	status   map[cdp.LoaderID]int
	// documents holds the media type and headers of each document by
	// loader, and lastDocument the latest document of each frame.
	documents    map[cdp.LoaderID]documentResponse
	lastDocument map[cdp.FrameID]documentResponse
	// docBlocked holds, by loader, the rule and host of a document the
	// network guard's proxy refused (it answers 403 with a marker header).
	docBlocked map[cdp.LoaderID][2]string
	notify     chan struct{} // receives a value whenever inflight changes
	// challenged is set when any response asked for HTTP authentication:
	// the browser may have cached credentials that no command clears.
	challenged bool
	// cancelledOutliving is set when a request that may outlive its
	// document was reported cancelled: see ended.
	cancelledOutliving bool

	stopped bool     // under mu
	cancels []func() // unsubscribe, under mu
	loops   sync.WaitGroup
}

func newNetworkWatch(s session) *networkWatch {
	w := &networkWatch{
		inflight:     map[network.RequestID]inflightRequest{},
		changed:      time.Now(),
		origins:      map[string]bool{},
		status:       map[cdp.LoaderID]int{},
		documents:    map[cdp.LoaderID]documentResponse{},
		lastDocument: map[cdp.FrameID]documentResponse{},
		docBlocked:   map[cdp.LoaderID][2]string{},
		notify:       make(chan struct{}, 1),
	}
	w.follow(s, true)
	return w
}

// follow adds the events of session s to what w follows: the page's
// session, or (page false) that of one of its frames of other sites, which
// run in renderers of their own (sites.go). A frame's requests count as the
// page's activity, but their origins are not the page's: the wipe clears
// the frame's storage by its document's origin.
func (w *networkWatch) follow(s session, page bool) {
	sent, stopSent := s.Subscribe(network.RequestWillBeSent.Method)
	finished, stopFinished := s.Subscribe(network.LoadingFinished.Method)
	failed, stopFailed := s.Subscribe(network.LoadingFailed.Method)
	received, stopReceived := s.Subscribe(network.ResponseReceived.Method)
	// The ExtraInfo events report every response and request on the wire,
	// a 401 that the browser answers itself with an XHR's user and
	// password included, which responseReceived never sees.
	rawResponses, stopRawResponses := s.Subscribe(network.ResponseReceivedExtraInfo.Method)
	rawRequests, stopRawRequests := s.Subscribe(network.RequestWillBeSentExtraInfo.Method)
	// stop unsubscribes, which closes the channels; the loop below handles
	// what they still hold before it ends, so that stop returns only once
	// every event delivered before it has been seen.
	cancel := func() {
		stopSent()
		stopFinished()
		stopFailed()
		stopReceived()
		stopRawResponses()
		stopRawRequests()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped {
		cancel()
		return
	}
	w.cancels = append(w.cancels, cancel)
	w.loops.Go(func() {
		for sent != nil || finished != nil || failed != nil || received != nil || rawResponses != nil || rawRequests != nil {
			select {
			case raw, ok := <-sent:
				if !ok {
					sent = nil
					continue
				}
				var ev network.EventRequestWillBeSent
				if jsonv2.Unmarshal(raw, &ev) == nil && ev.Request != nil {
					w.started(ev.RequestID, ev.Request.URL, ev.Type, page)
				}
			case raw, ok := <-finished:
				if !ok {
					finished = nil
					continue
				}
				var ev network.EventLoadingFinished
				if jsonv2.Unmarshal(raw, &ev) == nil {
					w.ended(ev.RequestID, false)
				}
			case raw, ok := <-failed:
				if !ok {
					failed = nil
					continue
				}
				var ev network.EventLoadingFailed
				if jsonv2.Unmarshal(raw, &ev) == nil {
					w.ended(ev.RequestID, ev.Canceled)
				}
			case raw, ok := <-rawResponses:
				if !ok {
					rawResponses = nil
					continue
				}
				var ev network.EventResponseReceivedExtraInfo
				if jsonv2.Unmarshal(raw, &ev) == nil && (ev.StatusCode == 401 || ev.StatusCode == 407) {
					w.challenge()
				}
			case raw, ok := <-rawRequests:
				if !ok {
					rawRequests = nil
					continue
				}
				var ev network.EventRequestWillBeSentExtraInfo
				if jsonv2.Unmarshal(raw, &ev) == nil && (headerValue(ev.Headers, "Authorization") != "" || headerValue(ev.Headers, "Proxy-Authorization") != "") {
					w.challenge() // credentials sent: they may be cached
				}
			case raw, ok := <-received:
				if !ok {
					received = nil
					continue
				}
				var ev network.EventResponseReceived
				if jsonv2.Unmarshal(raw, &ev) != nil || ev.Response == nil {
					continue
				}
				if ev.Response.Status == 401 || ev.Response.Status == 407 {
					w.challenge()
				}
				if ev.Type == network.ResourceTypeDocument {
					w.mu.Lock()
					w.status[ev.LoaderID] = int(ev.Response.Status)
					doc := documentResponse{status: int(ev.Response.Status), mimeType: strings.ToLower(ev.Response.MimeType), headers: lowerHeaders(ev.Response.Headers)}
					w.documents[ev.LoaderID] = doc
					w.lastDocument[ev.FrameID] = doc
					if rule := headerValue(ev.Response.Headers, netguard.BlockedHeader); rule != "" {
						host := ev.Response.URL
						if u, err := url.Parse(host); err == nil {
							host = u.Hostname()
						}
						w.docBlocked[ev.LoaderID] = [2]string{rule, host}
					}
					w.mu.Unlock()
					// A frame of another site loads its document in a
					// renderer of its own, whose events this session does
					// not get: the request never ends here, and the page
					// counted as busy until it went stale (staleRequest),
					// two seconds more for every page with such a frame.
					// What a document's body holds is the navigation's and
					// the load event's to wait for; what it loads, the
					// requests that follow.
					w.ended(ev.RequestID, false)
				}
			}
		}
	})
}

// inflightRequest is a request in flight: when it started, and whether
// its answer goes to script (see readByScript).
type inflightRequest struct {
	started  time.Time
	scripted bool
	outlives bool // see mayOutliveDocument
}

// readByScript reports whether the answer of a request of type t goes to
// script, which may change the page with it: fetch, XHR and scripts. An
// image, a font or a stylesheet changes nothing more once it has arrived,
// and documents are the navigation watch's to follow.
func readByScript(t network.ResourceType) bool {
	return t == network.ResourceTypeFetch || t == network.ResourceTypeXHR || t == network.ResourceTypeScript
}

// mayOutliveDocument reports whether a request of type t may be one that
// Chromium carries on after its document is gone: a fetch with keepalive, a
// beacon or hyperlink ping, a CSP report, a link prefetch (and the preflight
// of any of these). Its answer can still set cookies after the wipe. The
// protocol does not say which fetches asked for keepalive, and reports them
// cancelled when the document goes although the browser goes on, so every
// request of these types counts. ("Other", which a beacon is not, is mostly
// the favicon: counting it replaced the tab after 11 of 16 corpus pages.)
func mayOutliveDocument(t network.ResourceType) bool {
	switch t {
	case network.ResourceTypeFetch, network.ResourceTypePing, network.ResourceTypeCSPViolationReport,
		network.ResourceTypePrefetch, network.ResourceTypePreflight:
		return true
	}
	return false
}

func (w *networkWatch) started(id network.RequestID, rawURL string, typ network.ResourceType, page bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if u, err := url.Parse(rawURL); page && err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		w.origins[u.Scheme+"://"+u.Host] = true
	}
	if _, ok := w.inflight[id]; !ok { // a redirect reuses the id of its request
		req := inflightRequest{started: time.Now(), scripted: readByScript(typ), outlives: mayOutliveDocument(typ)}
		w.inflight[id] = req
		w.touch()
		if req.scripted {
			w.scripted = req.started
		}
	}
}

// ended ends a request, finished or failed. One that may outlive its
// document, reported cancelled, may be going on all the same: the protocol
// says so of a keepalive fetch or a beacon whose document went (a script
// redirect during the render, a frame removed), and the browser carries it
// on.
func (w *networkWatch) ended(id network.RequestID, cancelled bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if req, ok := w.inflight[id]; ok {
		w.cancelledOutliving = w.cancelledOutliving || cancelled && req.outlives
		delete(w.inflight, id)
		if req.scripted {
			w.scripted = time.Now()
		}
		w.touch()
	}
}

// touch records a change; callers hold mu.
func (w *networkWatch) touch() {
	w.changed = time.Now()
	select {
	case w.notify <- struct{}{}:
	default:
	}
}

// restartQuiet starts the quiet period that waitIdle measures anew.
func (w *networkWatch) restartQuiet() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.touch()
}

// waitIdle waits until at most max requests have been in flight for quiet.
func (w *networkWatch) waitIdle(ctx context.Context, max int, quiet time.Duration) error {
	for {
		w.mu.Lock()
		n, since := len(w.inflight), time.Since(w.changed)
		w.mu.Unlock()
		wait := quiet
		if n <= max {
			if since >= quiet {
				return nil
			}
			wait = quiet - since
		}
		select {
		case <-time.After(wait):
		case <-w.notify:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// activity returns how many requests are in flight, leaving out those
// older than stale (long polls and streams, which never end), and when a
// request whose answer goes to script last started or ended.
func (w *networkWatch) activity(stale time.Duration) (inflight int, scripted time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	for _, req := range w.inflight {
		if now.Sub(req.started) < stale {
			inflight++
		}
	}
	return inflight, w.scripted
}

func (w *networkWatch) documentStatus(loader cdp.LoaderID) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status[loader]
}

// documentResponse is what the response of a document said of it.
type documentResponse struct {
	status   int
	mimeType string
	headers  map[string]string
}

// shownAsPage reports whether Chromium shows a document of this type as a
// page with text in its DOM: not a PDF, which gets a viewer with none.
func (d documentResponse) shownAsPage() bool {
	return d.mimeType != "application/pdf" && d.mimeType != "application/x-pdf"
}

func (w *networkWatch) document(loader cdp.LoaderID) (documentResponse, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	d, ok := w.documents[loader]
	return d, ok
}

// frameDocument returns the latest document response of a frame.
func (w *networkWatch) frameDocument(frame cdp.FrameID) documentResponse {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastDocument[frame]
}

// lowerHeaders is h with lower-case names, as render.Page.Headers holds
// them (Chromium joins repeated headers with newlines already).
func lowerHeaders(h network.Headers) map[string]string {
	m := make(map[string]string, len(h))
	for k, v := range h {
		if s, ok := v.(string); ok {
			m[strings.ToLower(k)] = s
		}
	}
	return m
}

// documentBlocked returns the rule and host by which the guard refused the
// document of loader, or empty strings.
func (w *networkWatch) documentBlocked(loader cdp.LoaderID) (rule, host string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.docBlocked[loader]
	return b[0], b[1]
}

// outliving reports whether a request that may outlive its document (see
// mayOutliveDocument) is in flight, or was reported cancelled (see ended).
// Call it only after stop.
func (w *networkWatch) outliving() bool {
	if w.cancelledOutliving {
		return true
	}
	for _, req := range w.inflight {
		if req.outlives {
			return true
		}
	}
	return false
}

// originsSeen iterates over the origins the page requested from. Call it
// only after stop, once nothing writes them any more.
func (w *networkWatch) originsSeen() iter.Seq[string] {
	return func(yield func(string) bool) {
		for o := range w.origins {
			if !yield(o) {
				return
			}
		}
	}
}

// challenge records that the page met HTTP authentication.
func (w *networkWatch) challenge() {
	w.mu.Lock()
	w.challenged = true
	w.mu.Unlock()
}

// authChallenged reports whether any response of the page asked for HTTP
// authentication.
func (w *networkWatch) authChallenged() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.challenged
}

// stop unsubscribes and returns once every event delivered before it has
// been seen. It is safe to call more than once.
func (w *networkWatch) stop() {
	w.mu.Lock()
	w.stopped = true
	cancels := w.cancels
	w.cancels = nil
	w.mu.Unlock()
	for _, cancel := range cancels {
		cancel()
	}
	w.loops.Wait()
}

// headerValue returns the header name of h, whatever the case of its key.
func headerValue(h network.Headers, name string) string {
	for k, v := range h {
		if s, ok := v.(string); ok && strings.EqualFold(k, name) {
			return s
		}
	}
	return ""
}
