package browserpool

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
)

// Frames of other sites.
//
// Site isolation runs a frame of another site than its parent in a renderer
// of its own, a target apart from the tab: its documents and requests are
// reported to that target only. Storage partitioning keeps what such a
// frame stores under a storage key that names the page's site as well as
// the frame's origin ("http://b.example/^0http://a.example"), which
// Storage.clearDataForOrigin does not reach: its local and session storage,
// IndexedDB and Cache Storage reached the next render of the page in the
// same tab.
//
// So a tab follows those frames. It auto-attaches to each as the browser
// makes it, paused until it is followed (Target.setAutoAttach with
// waitForDebuggerOnStart), follows the frames of other sites inside it in
// turn, and notes the origin of every document committed in them
// (Page.frameNavigated). The wipe clears each of those origins' storage under
// every site the page was on (partitionedKeys).
//
// A frame's requests are the page's as well. The render follows them beside
// the page's (onFrame, networkWatch.follow), for settling and for a request
// that may outlive its document. After the render, the watch holds a frame
// to the rules the tab holds its page to (renderPhase, checkSent), and the
// wipe stops the frames' scripts before the page leaves (leave).

// maxSiteOrigins bounds the origins a watch keeps between two wipes.
const maxSiteOrigins = 256

// siteWatch follows a tab's frames of other sites: see above.
type siteWatch struct {
	conn   *conn
	ctx    context.Context // ends with the tab
	cancel context.CancelFunc
	loops  sync.WaitGroup // one per followed session

	mu       sync.Mutex
	sessions map[target.SessionID]*followed
	tops     map[string]bool // origins of the page's own documents
	framed   map[string]bool // origins of documents in frames of other sites
	lost     error           // why the wipe cannot vouch for the frames
	closed   bool
	phase    renderPhase
	// onFrame, when set, is given each frame's session before the frame
	// runs: a render follows the frames' requests (networkWatch.follow).
	onFrame func(session)
}

// followed is one session a siteWatch follows: the page's, or a frame's.
type followed struct {
	navigated <-chan jsonv2.Value // Page.frameNavigated, read by take and forget
	frame     bool                // a frame of another site, not the page
	// sent receives a frame's Network.requestWillBeSent (see checkSent).
	sent <-chan jsonv2.Value
	stop func()
}

// renderPhase is where the tab is between a render and its wipe, for
// what a frame's requests mean (checkSent).
type renderPhase int

const (
	rendering renderPhase = iota // the render follows a frame's requests (onFrame)
	// renderEnded: a request that may outlive its document (a keepalive
	// fetch, a beacon: mayOutliveDocument) may set cookies after the wipe.
	renderEnded
	// leaving: the page is being left (leavePage), and any request a frame
	// sends, from an unload handler, may.
	leaving
)

// newSiteWatch follows the page of session page. The caller then turns on
// auto-attach there (autoAttachFrames).
func newSiteWatch(c *conn, page target.SessionID) *siteWatch {
	ctx, cancel := context.WithCancel(context.Background())
	w := &siteWatch{conn: c, ctx: ctx, cancel: cancel, sessions: map[target.SessionID]*followed{},
		tops: map[string]bool{}, framed: map[string]bool{}}
	w.follow(page, false)
	return w
}

// autoAttachFrames attaches a session to the frames of other sites of its
// target as the browser makes them, each paused until followed.
var autoAttachFrames = target.SetAutoAttachParams{
	AutoAttach: true, WaitForDebuggerOnStart: true, Flatten: ptr(true), Filter: target.Filter{{Type: "iframe"}},
}

// follow subscribes to the documents and the frames of session id. Frames
// are attached in its own goroutine, so a frame is followed before it runs.
func (w *siteWatch) follow(id target.SessionID, frame bool) {
	s := session{conn: w.conn, id: id}
	navigated, stopNavigated := s.Subscribe(page.FrameNavigated.Method)
	attached, stopAttached := s.Subscribe(target.AttachedToTarget.Method)
	detached, stopDetached := s.Subscribe(target.DetachedFromTarget.Method)
	var sent <-chan jsonv2.Value
	stopSent := func() {}
	if frame { // the page's are the tab's to follow (tab.watchRequests)
		sent, stopSent = s.Subscribe(network.RequestWillBeSent.Method)
	}
	stop := func() {
		stopNavigated()
		stopAttached()
		stopDetached()
		stopSent()
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		stop()
		return
	}
	w.sessions[id] = &followed{navigated: navigated, frame: frame, sent: sent, stop: stop}
	w.loops.Go(func() {
		for attached != nil || detached != nil {
			select {
			case raw, ok := <-attached:
				if !ok {
					attached = nil
					continue
				}
				w.attach(raw)
			case raw, ok := <-detached:
				if !ok {
					detached = nil
					continue
				}
				var ev target.EventDetachedFromTarget
				if jsonv2.Unmarshal(raw, &ev) == nil {
					w.forget(ev.SessionID)
				}
			}
		}
	})
}

// attach follows a frame the browser attached, then lets it run. A frame
// that cannot be followed is let go and the watch is lost: its tab will be
// replaced, not wiped.
func (w *siteWatch) attach(raw jsonv2.Value) {
	var ev target.EventAttachedToTarget
	if err := jsonv2.Unmarshal(raw, &ev); err != nil || ev.TargetInfo == nil {
		w.fail(fmt.Errorf("a frame of another site: bad attach event: %v", err))
		return
	}
	ctx, cancel := context.WithTimeout(w.ctx, 10*time.Second)
	defer cancel()
	s := session{conn: w.conn, id: ev.SessionID}
	if ev.TargetInfo.Type != "iframe" || !ev.WaitingForDebugger {
		// Not a frame, or one already running: nothing ran in it before
		// now only if it waited.
		if ev.TargetInfo.Type == "iframe" {
			w.fail(errors.New("a frame of another site ran before it was followed"))
		}
		_ = s.Call(ctx, runtime.CommandRunIfWaitingForDebugger, nil, nil)
		return
	}
	w.follow(ev.SessionID, true)
	err := s.Call(ctx, page.CommandEnable, page.EnableParams{}, nil)
	if err == nil {
		err = s.Call(ctx, network.CommandEnable, network.EnableParams{}, nil)
	}
	if err == nil {
		err = s.Call(ctx, target.CommandSetAutoAttach, autoAttachFrames, nil)
	}
	if err == nil {
		w.mu.Lock()
		onFrame := w.onFrame
		w.mu.Unlock()
		if onFrame != nil {
			onFrame(s)
		}
		err = s.Call(ctx, runtime.CommandRunIfWaitingForDebugger, nil, nil)
	}
	if err != nil {
		// Most often the frame is gone already. Detaching lets one that
		// is not go on, unfollowed.
		w.fail(fmt.Errorf("follow a frame of another site: %w", err))
		_ = session{conn: w.conn}.Call(ctx, target.CommandDetachFromTarget, target.DetachFromTargetParams{SessionID: ev.SessionID}, nil)
	}
}

// startRender marks the start of a render, which follows the requests of
// each frame from here (onFrame) until endRender. A nil watch (a tab of an
// agent session) has no frames to give.
func (w *siteWatch) startRender(onFrame func(session)) {
	if w == nil {
		return
	}
	w.mu.Lock()
	w.onFrame = onFrame
	w.mu.Unlock()
}

// forget stops following a frame that is gone, keeping what it committed.
// The browser reports a session detached after all of its events.
func (w *siteWatch) forget(id target.SessionID) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f := w.sessions[id]
	if f == nil || !f.frame {
		return
	}
	w.drain(f)
	w.checkSent(f)
	f.stop()
	delete(w.sessions, id)
}

// endRender marks the end of a render: from here a frame's request that may
// outlive its document fails the wipe. (One in flight at the end is the
// render's to see: networkWatch.outliving.)
func (w *siteWatch) endRender() {
	w.advance(renderEnded)
}

// leave readies the frames for leavePage. Their scripts are stopped first:
// a frame's pagehide or unload handler ran as the page left and sent a
// beacon that no session was told of (the frame's is detaching by then),
// whose answer set a cookie after the wipe. From here any request a frame
// is seen to send fails the wipe, as does a frame whose scripts could not
// be stopped.
func (w *siteWatch) leave(ctx context.Context) {
	if w == nil {
		return
	}
	w.advance(leaving)
	w.mu.Lock()
	var frames []session
	for id, f := range w.sessions {
		if f.frame {
			frames = append(frames, session{conn: w.conn, id: id})
		}
	}
	w.mu.Unlock()
	for _, s := range frames {
		if err := s.Call(ctx, emulation.CommandSetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}, nil); err != nil {
			w.fail(fmt.Errorf("stop the scripts of a frame of another site: %w", err))
		}
	}
}

func (w *siteWatch) advance(to renderPhase) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range w.sessions {
		w.checkSent(f)
	}
	w.phase = to
	w.onFrame = nil // a render's, and it has ended
}

// checkSent reads the requests f's frame has sent, and loses the watch
// for one that may set cookies after the wipe (see renderPhase). Call it
// with w.mu held.
func (w *siteWatch) checkSent(f *followed) {
	if f.sent == nil {
		return
	}
	sent, full := buffered(f.sent)
	if w.phase == rendering {
		return
	}
	if full {
		w.lost = errors.Join(w.lost, errors.New("a frame of another site sent too many requests after the render to tell whether one may outlive it"))
	}
	for _, raw := range sent {
		var ev network.EventRequestWillBeSent
		if jsonv2.Unmarshal(raw, &ev) == nil && (w.phase == leaving || mayOutliveDocument(ev.Type)) {
			w.lost = errors.Join(w.lost, fmt.Errorf("a frame of another site sent a %s request after the render, which may set cookies after the wipe", ev.Type))
		}
	}
}

func (w *siteWatch) fail(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.lost = errors.Join(w.lost, err)
}

// drain notes the documents f's session reported: the page's own (its
// frames in its renderer are of its site, and keep their storage under
// their origin, which the tab's network watch saw), or all of a frame's.
// Call with w.mu held.
func (w *siteWatch) drain(f *followed) {
	navigated, full := buffered(f.navigated)
	if full {
		w.lost = errors.Join(w.lost, errors.New("too many documents in the page's frames to follow"))
	}
	for _, raw := range navigated {
		var ev page.EventFrameNavigated
		if jsonv2.Unmarshal(raw, &ev) != nil || ev.Frame == nil {
			continue
		}
		origin := storageOrigin(ev.Frame.SecurityOrigin)
		switch {
		case origin == "":
		case f.frame:
			w.note(w.framed, origin)
		case ev.Frame.ParentID == "":
			w.note(w.tops, origin)
		}
	}
}

func (w *siteWatch) note(set map[string]bool, origin string) {
	if len(set) >= maxSiteOrigins {
		if !set[origin] && w.lost == nil {
			w.lost = errors.New("too many origins in the page's frames to wipe")
		}
		return
	}
	set[origin] = true
}

// take returns the origins of the page's documents and of the documents in
// its frames since the last take, and starts over; an error says they may be
// incomplete. Call it once the page has left: every frame is gone then.
func (w *siteWatch) take() (tops, framed []string, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, f := range w.sessions {
		w.drain(f)
		w.checkSent(f)
	}
	w.phase = rendering
	for o := range w.tops {
		tops = append(tops, o)
	}
	for o := range w.framed {
		framed = append(framed, o)
	}
	err = w.lost
	clear(w.tops)
	clear(w.framed)
	w.lost = nil
	return tops, framed, err
}

// close stops following and waits for the watch's goroutines.
func (w *siteWatch) close() {
	w.mu.Lock()
	w.closed = true
	for id, f := range w.sessions {
		f.stop()
		delete(w.sessions, id)
	}
	w.mu.Unlock()
	w.cancel()
	w.loops.Wait()
}

// storageOrigin returns the serialised origin of an http or https document
// (one that can hold storage), or "" for any other (opaque, about:,
// chrome-error:).
func storageOrigin(securityOrigin string) string {
	u, err := url.Parse(securityOrigin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// partitionedKeys lists the storage keys under which a document of an
// origin in framed, in a frame of a page on an origin in tops, may have kept
// storage. A frame under a page of another site keys its storage with the
// page's site ("http://b.example/^0https://a.example"); one of the page's
// own site, with another site between them, with the cross-site bit
// ("https://a.example/^31").
//
// The page's site is the registrable domain of its host, by Chromium's
// public suffix list. Rather than trust another copy of the list to agree,
// the keys name every site the host could have: the host and each parent
// domain of two labels or more (a registrable domain has one label more
// than its public suffix). Chromium refuses a key whose site is not one by
// its list (invalidStorageKey), so each clear clears the real key or
// nothing.
func partitionedKeys(tops, framed []string) []string {
	seen := map[string]bool{}
	var keys []string
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, o := range framed {
		ou, err := url.Parse(o)
		if err != nil {
			continue
		}
		add(o + "/^31")
		for _, top := range tops {
			tu, err := url.Parse(top)
			if err != nil {
				continue
			}
			for _, site := range possibleSites(tu) {
				su, _ := url.Parse(site)
				sh, oh := su.Hostname(), ou.Hostname()
				if su.Scheme == ou.Scheme && (sh == oh || sh != tu.Hostname() && strings.HasSuffix(oh, "."+sh)) {
					// o is of that site, or that site is not the
					// page's: either way no frame of o keys it.
					continue
				}
				add(o + "/^0" + site)
			}
		}
	}
	return keys
}

// possibleSites lists the sites (scheme and registrable domain) the host of
// u may have: see partitionedKeys.
func possibleSites(u *url.URL) []string {
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); err == nil {
		if addr.Is6() {
			host = "[" + host + "]"
		}
		return []string{u.Scheme + "://" + host}
	}
	sites := []string{u.Scheme + "://" + host}
	labels := strings.Split(host, ".")
	for i := 1; i < len(labels)-1; i++ {
		sites = append(sites, u.Scheme+"://"+strings.Join(labels[i:], "."))
	}
	return sites
}

// invalidStorageKey reports whether err is Chromium refusing a storage key
// it cannot parse (a site its public suffix list does not make a site).
func invalidStorageKey(err error) bool {
	var e *cdproto.Error
	return errors.As(err, &e) && e.Code == -32602 // JSON-RPC's invalid params
}
