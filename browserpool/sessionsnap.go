package browserpool

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/cdproto/target"

	sessions "github.com/sous-dev/sous/session"
)

// maxSnapshotNodes bounds the outline a page can make the service build.
const maxSnapshotNodes = 5000

// skippedRoles carry nothing for a reader when they have no name: their
// children take their place.
var skippedRoles = map[string]bool{"generic": true, "none": true, "presentation": true, "": true, "RootWebArea": true, "group": true, "LabelText": true, "MenuListPopup": true}

// Snapshot reads the active tab's accessibility tree as an outline. Each
// element gets a ref, kept for as long as the document lives, so that the
// same element has the same ref in every snapshot of it.
func (sc *sessionContext) Snapshot(ctx context.Context) (*sessions.Snapshot, error) {
	st, err := sc.front(ctx)
	if err != nil {
		return nil, err
	}
	res, err := cdp.Call(ctx, st.s, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		return nil, fmt.Errorf("read the accessibility tree: %w", err)
	}
	doc := st.documents.Load()
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if st.documentOfRefs != doc {
		// A new document: the old one's elements are gone with their refs.
		for _, ref := range st.nodeRefs {
			delete(sc.refs, ref)
		}
		clear(st.nodeRefs)
		st.documentOfRefs = doc
	}
	byID := make(map[accessibility.NodeID]*accessibility.Node, len(res.Nodes))
	var root *accessibility.Node
	for _, n := range res.Nodes {
		byID[n.NodeID] = n
		if n.ParentID == "" && root == nil {
			root = n
		}
	}
	snap := &sessions.Snapshot{Document: fmt.Sprintf("%s/%d", st.targetID, doc)}
	if root == nil {
		return snap, nil
	}
	snap.Title = axString(root.Name)
	count := 0
	var build func(n *accessibility.Node, depth int) []*sessions.Node
	build = func(n *accessibility.Node, depth int) []*sessions.Node {
		role := axString(n.Role)
		if role == "InlineTextBox" || role == "LineBreak" {
			return nil
		}
		name := strings.TrimSpace(axString(n.Name))
		if role == "StaticText" {
			if name == "" {
				return nil
			}
			if count >= maxSnapshotNodes {
				snap.Left++
				return nil
			}
			count++
			return []*sessions.Node{{Role: "text", Name: name}}
		}
		var children []*sessions.Node
		if depth < 256 {
			for _, id := range n.ChildIDs {
				if c := byID[id]; c != nil {
					children = append(children, build(c, depth+1)...)
				}
			}
		}
		children = mergeText(children)
		if n.Ignored || skippedRoles[role] && name == "" || role == "RootWebArea" {
			return children
		}
		if count >= maxSnapshotNodes {
			snap.Left++
			return children
		}
		count++
		node := &sessions.Node{Role: role, Name: name, Children: children}
		if v, ok := axAny(n.Value).(string); ok {
			node.Value = v
		} else if f, ok := axAny(n.Value).(float64); ok && role != "heading" {
			node.Value = strconv.FormatFloat(f, 'f', -1, 64)
		}
		node.Props = axProps(n.Properties)
		// Text that only repeats the name, or that is all the element
		// holds, goes on its line.
		if len(children) == 1 && children[0].Role == "text" && children[0].Ref == "" && len(children[0].Children) == 0 {
			if children[0].Name == name || children[0].Name == node.Value {
				node.Children = nil
			} else if node.Value == "" && name == "" {
				node.Value, node.Children = children[0].Name, nil
			}
		}
		if n.BackendDOMNodeID != 0 {
			node.Ref = sc.refFor(st, n.BackendDOMNodeID)
		}
		return []*sessions.Node{node}
	}
	snap.Nodes = build(root, 0)
	return snap, nil
}

// refFor returns the ref of a node of st's document, giving it one if it
// has none. Callers hold sc.mu.
func (sc *sessionContext) refFor(st *sessionTab, node cdp.BackendNodeID) string {
	if ref, ok := st.nodeRefs[node]; ok {
		return ref
	}
	sc.nextRef++
	ref := "e" + strconv.Itoa(sc.nextRef)
	st.nodeRefs[node] = ref
	sc.refs[ref] = refTarget{tab: st, node: node}
	return ref
}

// mergeText joins runs of text siblings into one line.
func mergeText(nodes []*sessions.Node) []*sessions.Node {
	out := nodes[:0:0]
	for _, n := range nodes {
		if k := len(out); k > 0 && n.Role == "text" && n.Ref == "" && out[k-1].Role == "text" && out[k-1].Ref == "" {
			merged := *out[k-1]
			merged.Name += " " + n.Name
			out[k-1] = &merged
			continue
		}
		out = append(out, n)
	}
	return out
}

// axProps are the states and attributes a snapshot line shows.
func axProps(props []*accessibility.Property) []string {
	var out []string
	for _, p := range props {
		v := axAny(p.Value)
		switch p.Name {
		case accessibility.PropertyNameLevel:
			if f, ok := v.(float64); ok {
				out = append(out, "level="+strconv.Itoa(int(f)))
			}
		case accessibility.PropertyNameChecked, accessibility.PropertyNamePressed:
			switch tristate(v) {
			case true:
				out = append(out, string(p.Name))
			case "mixed":
				out = append(out, string(p.Name)+"=mixed")
			}
		case accessibility.PropertyNameDisabled, accessibility.PropertyNameExpanded, accessibility.PropertyNameSelected,
			accessibility.PropertyNameRequired, accessibility.PropertyNameReadonly:
			if v == true {
				out = append(out, string(p.Name))
			}
		case accessibility.PropertyNameURL:
			if s, ok := v.(string); ok && s != "" && !strings.HasPrefix(s, "javascript:") {
				out = append(out, "url="+s)
			}
		}
	}
	return out
}

// StorageState exports the context's cookies, and the local storage of the
// origins its tabs show.
func (sc *sessionContext) StorageState(ctx context.Context) (*sessions.StorageState, error) {
	bs := session{conn: sc.browser.proc.conn}
	got, err := cdp.Call(ctx, bs, storage.GetCookies, storage.GetCookiesParams{BrowserContextID: sc.id})
	if err != nil {
		return nil, fmt.Errorf("read cookies: %w", err)
	}
	state := &sessions.StorageState{Cookies: []sessions.Cookie{}, Origins: []sessions.OriginState{}}
	for _, c := range got.Cookies {
		expires := c.Expires
		if c.Session {
			expires = -1
		}
		state.Cookies = append(state.Cookies, sessions.Cookie{
			Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, Expires: expires,
			HTTPOnly: c.HTTPOnly, Secure: c.Secure, SameSite: string(c.SameSite),
		})
	}
	sc.mu.Lock()
	tabs := append([]*sessionTab(nil), sc.tabs...)
	sc.mu.Unlock()
	seen := map[string]bool{}
	for _, st := range tabs {
		if st.pendingDialog() != nil {
			continue // its page is stopped
		}
		raw, err := st.tab.call(ctx, localStorageScript)
		switch {
		case err == nil:
		case ctx.Err() != nil, errors.Is(err, errConnClosed):
			return nil, fmt.Errorf("read local storage: %w", err)
		default:
			// A tab between two documents has no context to evaluate in
			// for a moment, and one closing none at all: the export holds
			// what the other tabs show.
			continue
		}
		if len(raw) == 0 || string(raw) == "null" {
			continue
		}
		var o sessions.OriginState
		if json.Unmarshal(raw, &o) != nil || seen[o.Origin] || len(o.LocalStorage) == 0 {
			continue
		}
		seen[o.Origin] = true
		state.Origins = append(state.Origins, o)
	}
	return state, nil
}

// SetStorageState loads cookies and local storage into the context. Local
// storage belongs to an origin's documents, so each origin is opened in a
// scratch tab whose document the browser makes up (the request never goes
// out), and its items set from there.
func (sc *sessionContext) SetStorageState(ctx context.Context, s *sessions.StorageState) error {
	bs := session{conn: sc.browser.proc.conn}
	if len(s.Cookies) > 0 {
		params := make([]*network.CookieParam, 0, len(s.Cookies))
		for _, c := range s.Cookies {
			cp := &network.CookieParam{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, Secure: c.Secure, HTTPOnly: c.HTTPOnly}
			if cp.Path == "" {
				cp.Path = "/"
			}
			switch strings.ToLower(c.SameSite) {
			case "strict":
				cp.SameSite = network.CookieSameSiteStrict
			case "lax":
				cp.SameSite = network.CookieSameSiteLax
			case "none":
				cp.SameSite = network.CookieSameSiteNone
			}
			if c.Expires > 0 {
				cp.Expires = cdp.TimeSinceEpoch(c.Expires)
			}
			params = append(params, cp)
		}
		if _, err := cdp.Call(ctx, bs, storage.SetCookies, storage.SetCookiesParams{Cookies: params, BrowserContextID: sc.id}); err != nil {
			return fmt.Errorf("set cookies: %w", err)
		}
	}
	for _, o := range s.Origins {
		if len(o.LocalStorage) == 0 {
			continue
		}
		if originOf(o.Origin) == "" {
			return fmt.Errorf("storageState: origin %q is not an http(s) origin", o.Origin)
		}
		if err := sc.setLocalStorage(ctx, o); err != nil {
			return fmt.Errorf("local storage of %s: %w", o.Origin, err)
		}
	}
	return nil
}

// setLocalStorage sets o's items from a scratch tab showing an empty
// document of o's origin.
func (sc *sessionContext) setLocalStorage(ctx context.Context, o sessions.OriginState) error {
	bs := session{conn: sc.browser.proc.conn}
	tg, err := cdp.Call(ctx, bs, target.CreateTarget, target.CreateTargetParams{URL: "about:blank", BrowserContextID: sc.id})
	if err != nil {
		return fmt.Errorf("create target: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := cdp.Call(cctx, bs, target.CloseTarget, target.CloseTargetParams{TargetID: tg.TargetID}); err != nil {
			// It goes with the session's browser context at the latest.
			sc.pool.opts.Logger.Debug("closing a session's scratch tab", "err", err)
		}
		cancel()
	}()
	at, err := cdp.Call(ctx, bs, target.AttachToTarget, target.AttachToTargetParams{TargetID: tg.TargetID, Flatten: ptr(true)})
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	scratch := &tab{browser: sc.browser, contextID: sc.id, targetID: tg.TargetID, s: session{conn: sc.browser.proc.conn, id: at.SessionID}}
	paused, stopPaused := scratch.s.Subscribe(fetch.RequestPaused.Method)
	defer stopPaused()
	lifecycle, stopLifecycle := scratch.s.Subscribe(page.LifecycleEvent.Method)
	defer stopLifecycle()
	for _, c := range []struct {
		method string
		params any
	}{
		{page.CommandEnable, page.EnableParams{}},
		{page.CommandSetLifecycleEventsEnabled, page.SetLifecycleEventsEnabledParams{Enabled: true}},
		{fetch.CommandEnable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*"}}}},
	} {
		if err := scratch.s.Call(ctx, c.method, c.params, nil); err != nil {
			return fmt.Errorf("%s: %w", c.method, err)
		}
	}
	answered := make(chan error, 1)
	go func() {
		// Every request of the scratch tab gets an empty page: nothing of
		// it reaches the network.
		for {
			select {
			case raw, ok := <-paused:
				if !ok {
					answered <- errConnClosed
					return
				}
				var ev fetch.EventRequestPaused
				if jsonv2.Unmarshal(raw, &ev) != nil {
					continue
				}
				_, err := cdp.Call(ctx, scratch.s, fetch.FulfillRequest, fetch.FulfillRequestParams{
					RequestID: ev.RequestID, ResponseCode: 200,
					ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "text/html"}},
					Body:            []byte("<html></html>"),
				})
				if err != nil {
					answered <- err
					return
				}
			case <-ctx.Done():
				answered <- ctx.Err()
				return
			}
		}
	}()
	nav, err := cdp.Call(ctx, scratch.s, page.Navigate, page.NavigateParams{URL: strings.TrimRight(o.Origin, "/") + "/"})
	if err != nil {
		return fmt.Errorf("open the origin: %w", err)
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("open the origin: %s", nav.ErrorText)
	}
	if err := waitLifecycle(ctx, lifecycle, tg.TargetID, nav.LoaderID, "load"); err != nil {
		return fmt.Errorf("open the origin: %w", err)
	}
	if _, err := scratch.call(ctx, setLocalStorageScript, o.LocalStorage); err != nil {
		return err
	}
	select {
	case err := <-answered:
		return err
	default:
		return nil
	}
}
