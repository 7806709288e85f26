package browserpool

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/chromedp/cdproto"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"

	"github.com/sous-dev/sous/render"
	sessions "github.com/sous-dev/sous/session"
)

// Timings of how an action settles: how long the network must stay quiet
// after it, and the most that wait may take (a page that polls forever
// must not hold every action to its deadline).
const (
	settleQuiet = 150 * time.Millisecond
	settleMax   = 2 * time.Second
)

// Do runs one action on the active tab.
func (sc *sessionContext) Do(ctx context.Context, a *sessions.Action) error {
	st, err := sc.front(ctx)
	if err != nil {
		return err
	}
	if d := st.pendingDialog(); d != nil && a.Kind != sessions.DoDialog {
		return errDialogOpen(d)
	}
	switch a.Kind {
	case sessions.DoNavigate:
		return sc.navigate(ctx, st, a.URL)
	case sessions.DoClick:
		return sc.pointer(ctx, st, a.Target, true)
	case sessions.DoHover:
		return sc.pointer(ctx, st, a.Target, false)
	case sessions.DoType:
		return st.settle(ctx, func(ctx context.Context) error {
			if err := sc.typeInto(ctx, st, a.Target, a.Text); err != nil {
				return err
			}
			if a.Submit {
				return st.press(ctx, "Enter")
			}
			return nil
		})
	case sessions.DoFill:
		return st.settle(ctx, func(ctx context.Context) error {
			for i, f := range a.Fields {
				if err := sc.fill(ctx, st, f); err != nil {
					return fmt.Errorf("fields[%d]: %w", i, err)
				}
			}
			return nil
		})
	case sessions.DoSelect:
		return st.settle(ctx, func(ctx context.Context) error { return sc.selectOptions(ctx, st, a.Target, a.Values) })
	case sessions.DoCheck, sessions.DoUncheck:
		return sc.check(ctx, st, a.Target, a.Kind == sessions.DoCheck)
	case sessions.DoPress:
		return st.settle(ctx, func(ctx context.Context) error { return st.press(ctx, a.Key) })
	case sessions.DoScroll:
		return st.settle(ctx, func(ctx context.Context) error { return sc.scroll(ctx, st, a) })
	case sessions.DoWait:
		return st.wait(ctx, a)
	case sessions.DoBack:
		return st.history(ctx, -1)
	case sessions.DoForward:
		return st.history(ctx, +1)
	case sessions.DoTab:
		sc.adoptPopups(ctx, nil)
		return sc.selectTab(*a.Index)
	case sessions.DoNewTab:
		nt, err := sc.newTab(ctx)
		if err != nil {
			return err
		}
		if a.URL != "" {
			return sc.navigate(ctx, nt, a.URL)
		}
		return nil
	case sessions.DoCloseTab:
		sc.adoptPopups(ctx, nil)
		return sc.closeTab(ctx, a.Index)
	case sessions.DoUpload:
		return sc.upload(ctx, st, a)
	case sessions.DoDialog:
		return st.answer(ctx, *a.Accept, a.Text)
	}
	return fmt.Errorf("%w: unknown action %q", render.ErrInvalidRequest, a.Kind)
}

// navigate loads u in st and waits for its load event and a quiet network.
func (sc *sessionContext) navigate(ctx context.Context, st *sessionTab, u string) error {
	if err := sc.pool.guard.checkDocument(ctx, u); err != nil {
		return err
	}
	net := newNetworkWatch(st.s)
	defer net.stop()
	events, stop := st.s.Subscribe(page.LifecycleEvent.Method)
	defer stop()
	nav, err := cdp.Call(ctx, st.s, page.Navigate, page.NavigateParams{URL: u})
	if err != nil {
		return fmt.Errorf("navigate %s: %w", u, err)
	}
	if nav.ErrorText != "" {
		if err := sc.pool.guard.explain(u, nav.ErrorText); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s: %s", render.ErrNavigation, u, nav.ErrorText)
	}
	if nav.LoaderID == "" {
		return nil // a move within the document (a #fragment)
	}
	if err := waitLifecycle(ctx, events, st.targetID, nav.LoaderID, "load"); err != nil {
		return fmt.Errorf("navigate %s: waiting for load: %w", u, err)
	}
	if rule, host := net.documentBlocked(nav.LoaderID); rule != "" {
		return render.Blocked(host, rule)
	}
	quiet(ctx, net)
	return nil
}

// quiet waits, at most settleMax, for the network to rest.
func quiet(ctx context.Context, net *networkWatch) {
	ctx, cancel := context.WithTimeout(ctx, settleMax)
	defer cancel()
	net.waitIdle(ctx, 0, settleQuiet)
}

// settle runs act and waits for what it set off: when the main frame
// starts loading another document, for its load event; then for the
// network to rest. It returns at once when a dialog opened, since the page
// stops until the dialog is answered.
func (st *sessionTab) settle(ctx context.Context, act func(context.Context) error) error {
	net := newNetworkWatch(st.s)
	defer net.stop()
	started, stopStarted := st.s.Subscribe(page.FrameStartedLoading.Method)
	defer stopStarted()
	lifecycle, stopLifecycle := st.s.Subscribe(page.LifecycleEvent.Method)
	defer stopLifecycle()
	stopped, stopStopped := st.s.Subscribe(page.FrameStoppedLoading.Method)
	defer stopStopped()
	if err := act(ctx); err != nil {
		return err
	}
	st.flushTasks(ctx)
	if st.pendingDialog() != nil {
		return nil
	}
	// The quiet period starts now, not before the action: what it set off
	// (a form's submission, a script's fetch) reaches the browser a moment
	// after the action's own call returns, later still on a busy machine.
	net.restartQuiet()
	quiet(ctx, net)
	loading := false
	for drained := false; !drained; {
		select {
		case raw, ok := <-started:
			if !ok {
				return errConnClosed
			}
			var ev page.EventFrameStartedLoading
			if jsonv2.Unmarshal(raw, &ev) == nil && string(ev.FrameID) == string(st.targetID) {
				loading = true
			}
		default:
			drained = true
		}
	}
	if !loading {
		return nil
	}
	if err := waitLoaded(ctx, st, lifecycle, stopped); err != nil {
		return fmt.Errorf("waiting for the next page to load: %w", err)
	}
	quiet(ctx, net)
	return nil
}

// flushTasks waits, at most a second, until the page has run the tasks it
// had queued: what an action sets off is often such a task (a form's
// submission, a handler's setTimeout), and only once it has run does its
// navigation or request show. On a busy machine it ran after the quiet
// period had ended the action, and the agent was shown the page it was
// leaving. An error means the document went away, as a navigation does:
// fine here.
func (st *sessionTab) flushTasks(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	// Only a fence: a tab too busy to answer within the second is one
	// whose next step waits for it anyway.
	_, _ = evaluate(ctx, st.s, 0, `new Promise(done => setTimeout(done))`)
}

// waitLoaded waits for the main frame's load event; for its loading to
// stop without one (a link that turned out to be a download); or for a
// dialog (a page may ask before it unloads).
func waitLoaded(ctx context.Context, st *sessionTab, lifecycle, stopped <-chan jsonv2.Value) error {
	for {
		select {
		case raw, ok := <-lifecycle:
			if !ok {
				return errConnClosed
			}
			var ev page.EventLifecycleEvent
			if jsonv2.Unmarshal(raw, &ev) == nil && ev.Name == "load" && string(ev.FrameID) == string(st.targetID) {
				return nil
			}
		case raw, ok := <-stopped:
			if !ok {
				return errConnClosed
			}
			var ev page.EventFrameStoppedLoading
			if jsonv2.Unmarshal(raw, &ev) == nil && string(ev.FrameID) == string(st.targetID) {
				return nil
			}
		case <-st.dialogOpened:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// element returns the page object of target in st: a ref from the last
// snapshot, or the first match of a CSS selector.
func (sc *sessionContext) element(ctx context.Context, st *sessionTab, targetRef string) (runtime.RemoteObjectID, error) {
	if sessions.IsRef(targetRef) {
		sc.mu.Lock()
		rt, ok := sc.refs[targetRef]
		sc.mu.Unlock()
		if !ok {
			return "", fmt.Errorf("%w: ref %s is not in a snapshot of this page; take a new snapshot and use its refs", render.ErrInvalidRequest, targetRef)
		}
		if rt.tab != st {
			return "", fmt.Errorf("%w: ref %s is on another tab; switch to it with the tab action", render.ErrInvalidRequest, targetRef)
		}
		obj, err := cdp.Call(ctx, st.s, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: rt.node})
		var refused *cdproto.Error
		switch {
		case errors.As(err, &refused), err == nil && obj.Object == nil:
			// The browser answered that it has no such node: its document
			// went. Its words ("No node with given id found") tell the
			// agent less than this.
			return "", fmt.Errorf("%w: ref %s is no longer on the page; take a new snapshot", render.ErrInvalidRequest, targetRef)
		case err != nil:
			return "", fmt.Errorf("find ref %s: %w", targetRef, err)
		}
		return obj.Object.ObjectID, nil
	}
	return st.querySelector(ctx, targetRef)
}

// querySelector returns the page object of the first element selector
// matches in t's main world (queryselector.js).
func (t *tab) querySelector(ctx context.Context, selector string) (runtime.RemoteObjectID, error) {
	expr, err := callExpression(querySelectorScript, selector)
	if err != nil {
		return "", err
	}
	res, err := cdp.Call(ctx, t.s, runtime.Evaluate, runtime.EvaluateParams{Expression: expr})
	if err != nil {
		return "", fmt.Errorf("find %s: %w", selector, err)
	}
	switch {
	case res.ExceptionDetails != nil:
		return "", fmt.Errorf("find %s: %w", selector, &scriptError{message: res.ExceptionDetails.Text})
	case res.Result == nil || res.Result.Subtype == "null":
		return "", fmt.Errorf("%w: no element matches %q", render.ErrInvalidRequest, selector)
	case res.Result.Type == "string":
		return "", fmt.Errorf("%w: %q is neither a ref (e12) nor a valid CSS selector", render.ErrInvalidRequest, selector)
	}
	return res.Result.ObjectID, nil
}

// call runs the JavaScript function fn with obj as this and args, and
// decodes what it returns into out (when not nil). A thrown Error becomes
// an ErrInvalidRequest with its message: these functions throw only for
// an element that does not suit the action.
func (st *sessionTab) call(ctx context.Context, obj runtime.RemoteObjectID, fn string, out any, args ...any) error {
	params := runtime.CallFunctionOnParams{FunctionDeclaration: fn, ObjectID: obj, ReturnByValue: ptr(true), AwaitPromise: ptr(true)}
	for _, a := range args {
		b, err := json.Marshal(a)
		if err != nil {
			return err
		}
		params.Arguments = append(params.Arguments, &runtime.CallArgument{Value: b})
	}
	res, err := cdp.Call(ctx, st.s, runtime.CallFunctionOn, params)
	if err != nil {
		return err
	}
	if ex := res.ExceptionDetails; ex != nil {
		msg := ex.Text
		if ex.Exception != nil && ex.Exception.Description != "" {
			msg = strings.TrimPrefix(strings.SplitN(ex.Exception.Description, "\n", 2)[0], "Error: ")
		}
		return fmt.Errorf("%w: %s", render.ErrInvalidRequest, msg)
	}
	if out != nil && res.Result != nil && len(res.Result.Value) > 0 {
		return jsonv2.Unmarshal(res.Result.Value, out)
	}
	return nil
}

// pointer moves the mouse to the middle of target, and clicks there when
// click is set. An element that takes no space is clicked from script.
func (sc *sessionContext) pointer(ctx context.Context, st *sessionTab, targetRef string, click bool) error {
	return st.settle(ctx, func(ctx context.Context) error {
		obj, err := sc.element(ctx, st, targetRef)
		if err != nil {
			return err
		}
		var at *struct {
			X float64 `json:"x"`
			Y float64 `json:"y"`
		}
		if err := st.call(ctx, obj, centerScript, &at); err != nil {
			return err
		}
		if at == nil {
			if !click {
				return fmt.Errorf("%w: %s takes no space on the page; it cannot be hovered", render.ErrInvalidRequest, targetRef)
			}
			return st.untilDialog(ctx, func(ctx context.Context) error {
				return st.call(ctx, obj, `function() { this.click(); }`, nil)
			})
		}
		return st.untilDialog(ctx, func(ctx context.Context) error {
			if _, err := cdp.Call(ctx, st.s, input.DispatchMouseEvent, input.DispatchMouseEventParams{Type: input.DispatchMouseEventTypeMouseMoved, X: at.X, Y: at.Y}); err != nil || !click {
				return err
			}
			for _, typ := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
				if _, err := cdp.Call(ctx, st.s, input.DispatchMouseEvent, input.DispatchMouseEventParams{
					Type: typ, X: at.X, Y: at.Y, Button: input.MouseButtonLeft, Buttons: 1, ClickCount: 1,
				}); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// untilDialog runs input, which a dialog the page opens would stop until it
// is answered: then untilDialog returns at once, and input finishes in the
// background once the dialog is answered or the session ends.
func (st *sessionTab) untilDialog(ctx context.Context, inputs func(context.Context) error) error {
	select {
	case <-st.dialogOpened: // a stale signal of a dialog already answered
	default:
	}
	done := make(chan error, 1)
	// Bounded by the session's life, not the request: the dialog may be
	// answered by a later request.
	background, cancel := context.WithTimeout(st.sessionLife, 5*time.Minute)
	go func() {
		defer cancel()
		done <- inputs(background)
	}()
	select {
	case err := <-done:
		return err
	case <-st.dialogOpened:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// typeInto replaces the content of an editable element with text, as a
// person selecting all and typing would, with the input events it fires.
func (sc *sessionContext) typeInto(ctx context.Context, st *sessionTab, targetRef, text string) error {
	obj, err := sc.element(ctx, st, targetRef)
	if err != nil {
		return err
	}
	if err := st.call(ctx, obj, focusFieldScript, nil); err != nil {
		return err
	}
	if text == "" {
		return st.call(ctx, obj, clearFieldScript, nil)
	}
	if _, err := cdp.Call(ctx, st.s, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		return fmt.Errorf("type: %w", err)
	}
	// insertText fires input events but no change event, which many forms
	// wait for; a person would leave the field and fire it.
	return st.call(ctx, obj, `function() { this.dispatchEvent(new Event("change", {bubbles: true})); }`, nil)
}

// fill sets one field by its kind: text, a checkbox or radio button
// ("true"/"false"), or a select (an option's value or label).
func (sc *sessionContext) fill(ctx context.Context, st *sessionTab, f sessions.Field) error {
	obj, err := sc.element(ctx, st, f.Target)
	if err != nil {
		return err
	}
	var kind string
	if err := st.call(ctx, obj, fieldKindScript, &kind); err != nil {
		return err
	}
	switch kind {
	case "select":
		return sc.selectOptions(ctx, st, f.Target, []string{f.Value})
	case "check":
		want, err := strconv.ParseBool(f.Value)
		if err != nil {
			return fmt.Errorf("%w: a checkbox or radio button takes true or false, not %q", render.ErrInvalidRequest, clipText(f.Value, 20))
		}
		return sc.setChecked(ctx, st, f.Target, want)
	}
	return sc.typeInto(ctx, st, f.Target, f.Value)
}

// selectOptions chooses the options of a select by value or label.
func (sc *sessionContext) selectOptions(ctx context.Context, st *sessionTab, targetRef string, values []string) error {
	obj, err := sc.element(ctx, st, targetRef)
	if err != nil {
		return err
	}
	return st.call(ctx, obj, selectOptionsScript, nil, values)
}

// check clicks target when its checked state is not want, and checks that
// the click changed it.
func (sc *sessionContext) check(ctx context.Context, st *sessionTab, targetRef string, want bool) error {
	return st.settle(ctx, func(ctx context.Context) error { return sc.setChecked(ctx, st, targetRef, want) })
}

func (sc *sessionContext) setChecked(ctx context.Context, st *sessionTab, targetRef string, want bool) error {
	obj, err := sc.element(ctx, st, targetRef)
	if err != nil {
		return err
	}
	var checked bool
	if err := st.call(ctx, obj, checkedScript, &checked); err != nil {
		return err
	}
	if checked == want {
		return nil
	}
	if err := st.call(ctx, obj, `function() { this.scrollIntoView({block: "center", behavior: "instant"}); this.click(); }`, nil); err != nil {
		return err
	}
	if err := st.call(ctx, obj, checkedScript, &checked); err != nil {
		return err
	}
	if checked != want {
		return fmt.Errorf("%w: clicking %s did not change it (a radio button cannot be unchecked, only another chosen)", render.ErrInvalidRequest, targetRef)
	}
	return nil
}

// keyDefinition is how Chromium wants a named key.
type keyDefinition struct {
	code string
	vk   int64
	text string
}

var namedKeys = map[string]keyDefinition{
	"Enter": {"Enter", 13, "\r"}, "Tab": {"Tab", 9, ""}, "Escape": {"Escape", 27, ""}, "Backspace": {"Backspace", 8, ""},
	"Delete": {"Delete", 46, ""}, "ArrowUp": {"ArrowUp", 38, ""}, "ArrowDown": {"ArrowDown", 40, ""},
	"ArrowLeft": {"ArrowLeft", 37, ""}, "ArrowRight": {"ArrowRight", 39, ""}, "Home": {"Home", 36, ""}, "End": {"End", 35, ""},
	"PageUp": {"PageUp", 33, ""}, "PageDown": {"PageDown", 34, ""}, " ": {"Space", 32, " "}, "Space": {"Space", 32, " "},
}

// modifierBits are the protocol's bits of the modifier keys.
var modifierBits = map[string]int64{"Alt": 1, "Control": 2, "Meta": 4, "Shift": 8}

// press presses a key, with modifiers written before it ("Control+a",
// "Shift+Tab"), on whatever has the focus.
func (st *sessionTab) press(ctx context.Context, combo string) error {
	parts := strings.Split(combo, "+")
	if strings.HasSuffix(combo, "++") || combo == "+" {
		parts = append(strings.Split(strings.TrimSuffix(combo, "++"), "+"), "+")
	}
	key := parts[len(parts)-1]
	var mods int64
	for _, m := range parts[:len(parts)-1] {
		bit, ok := modifierBits[m]
		if !ok {
			return fmt.Errorf("%w: unknown modifier %q in %q; use Alt, Control, Meta or Shift", render.ErrInvalidRequest, m, combo)
		}
		mods |= bit
	}
	def, named := namedKeys[key]
	switch {
	case named:
	case utf8.RuneCountInString(key) == 1:
		r, _ := utf8.DecodeRuneInString(key)
		def = keyDefinition{text: key}
		if r < 128 {
			up := strings.ToUpper(key)
			def.vk = int64(up[0])
			if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
				def.code = "Key" + up
			} else if r >= '0' && r <= '9' {
				def.code = "Digit" + key
			}
		}
	default:
		return fmt.Errorf("%w: unknown key %q; use a character or Enter, Tab, Escape, Backspace, Delete, ArrowUp, ArrowDown, ArrowLeft, ArrowRight, Home, End, PageUp, PageDown or Space", render.ErrInvalidRequest, key)
	}
	text := def.text
	if mods&(1|2|4) != 0 {
		text = "" // a shortcut types nothing
	}
	down := input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeRawKeyDown, Key: key, Code: def.code, WindowsVirtualKeyCode: def.vk, Modifiers: mods}
	if text != "" {
		down.Type, down.Text, down.UnmodifiedText = input.DispatchKeyEventTypeKeyDown, text, text
	}
	return st.untilDialog(ctx, func(ctx context.Context) error {
		if _, err := cdp.Call(ctx, st.s, input.DispatchKeyEvent, down); err != nil {
			return fmt.Errorf("press %s: %w", combo, err)
		}
		_, err := cdp.Call(ctx, st.s, input.DispatchKeyEvent, input.DispatchKeyEventParams{Type: input.DispatchKeyEventTypeKeyUp, Key: key, Code: def.code, WindowsVirtualKeyCode: def.vk, Modifiers: mods})
		return err
	})
}

// scroll brings target into view, or scrolls the page by amount pixels
// (default: most of a screen) in a direction (default down).
func (sc *sessionContext) scroll(ctx context.Context, st *sessionTab, a *sessions.Action) error {
	if a.Target != "" {
		obj, err := sc.element(ctx, st, a.Target)
		if err != nil {
			return err
		}
		return st.call(ctx, obj, `function() { (this.nodeType === 1 ? this : this.parentElement).scrollIntoView({block: "center", behavior: "instant"}); }`, nil)
	}
	dx, dy := 0, 1
	switch a.Direction {
	case "up":
		dy = -1
	case "left":
		dx, dy = -1, 0
	case "right":
		dx, dy = 1, 0
	}
	_, err := st.tab.call(ctx, scrollByScript, a.Amount, dx, dy)
	return err
}

// wait polls the page until what a waits for is there (a visible element,
// text) or gone (textGone), or sleeps timeMs.
func (st *sessionTab) wait(ctx context.Context, a *sessions.Action) error {
	if a.TimeMs > 0 {
		select {
		case <-time.After(time.Duration(a.TimeMs) * time.Millisecond):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var (
		poll string
		err  error
		what string
	)
	switch {
	case a.Selector != "":
		poll, err = callExpression(visibleScript, a.Selector)
		what = fmt.Sprintf("an element matching %q to be visible", a.Selector)
	case a.Text != "":
		poll, err = callExpression(hasTextScript, a.Text, false)
		what = fmt.Sprintf("the text %q", clipText(a.Text, 100))
	default:
		poll, err = callExpression(hasTextScript, a.TextGone, true)
		what = fmt.Sprintf("the text %q to go", clipText(a.TextGone, 100))
	}
	if err != nil {
		return err
	}
	for {
		v, err := st.eval(ctx, poll)
		switch {
		case err == nil:
		case ctx.Err() != nil:
			return fmt.Errorf("%w: waiting for %s", render.ErrTimeout, what)
		case errors.Is(err, errConnClosed):
			return fmt.Errorf("waiting for %s: %w", what, err)
		default:
			// A page navigating between two polls has no context to
			// evaluate in for a moment (the browser refuses the call), and
			// the polls throw nothing of their own: poll again.
			v = nil
		}
		switch string(v) {
		case "true":
			return nil
		case `"invalid"`:
			return fmt.Errorf("%w: %q is not a valid CSS selector", render.ErrInvalidRequest, a.Selector)
		}
		if st.pendingDialog() != nil {
			return nil
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%w: waiting for %s", render.ErrTimeout, what)
		}
	}
}

// history goes back (-1) or forward (+1) in the tab's history.
func (st *sessionTab) history(ctx context.Context, delta int) error {
	h, err := cdp.Call(ctx, st.s, page.GetNavigationHistory, cdp.Empty{})
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	i := int(h.CurrentIndex) + delta
	if i < 0 || i >= len(h.Entries) {
		which := "previous"
		if delta > 0 {
			which = "next"
		}
		return fmt.Errorf("%w: there is no %s page in this tab's history", render.ErrInvalidRequest, which)
	}
	return st.settle(ctx, func(ctx context.Context) error {
		_, err := cdp.Call(ctx, st.s, page.NavigateToHistoryEntry, page.NavigateToHistoryEntryParams{EntryID: h.Entries[i].ID})
		return err
	})
}

// selectTab makes the tab at index the active one.
func (sc *sessionContext) selectTab(index int) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	if index >= len(sc.tabs) {
		return fmt.Errorf("%w: there is no tab %d; the session has %d", render.ErrInvalidRequest, index, len(sc.tabs))
	}
	sc.active = sc.tabs[index]
	return nil
}

// closeTab closes the tab at index, or the active one.
func (sc *sessionContext) closeTab(ctx context.Context, index *int) error {
	sc.mu.Lock()
	st := sc.active
	if index != nil {
		if *index >= len(sc.tabs) {
			n := len(sc.tabs)
			sc.mu.Unlock()
			return fmt.Errorf("%w: there is no tab %d; the session has %d", render.ErrInvalidRequest, *index, n)
		}
		st = sc.tabs[*index]
	}
	sc.mu.Unlock()
	if st == nil {
		return fmt.Errorf("%w: no tab is open", render.ErrInvalidRequest)
	}
	// Target.closeTarget answers as the close begins. The next action
	// brings another tab to the front, which Chromium has been seen to
	// leave unanswered while the closing tab is still torn down: wait until
	// the target is gone.
	bs := session{conn: sc.browser.proc.conn}
	destroyed, stop := bs.Subscribe(target.TargetDestroyed.Method)
	defer stop()
	if _, err := cdp.Call(ctx, bs, target.CloseTarget, target.CloseTargetParams{TargetID: st.targetID}); err != nil {
		return fmt.Errorf("close tab: %w", err)
	}
	sc.forget(st.targetID)
	err := awaitEvent(ctx, destroyed, func(ev *target.EventTargetDestroyed) bool { return ev.TargetID == st.targetID })
	switch {
	case errors.Is(err, errConnClosed):
		return fmt.Errorf("close tab: %w", err)
	case err != nil:
		return fmt.Errorf("close tab: waiting for the tab to close: %w", err)
	}
	return nil
}

// upload writes the file into the session's upload directory, readable by
// the service's user alone, and sets it on a file input.
func (sc *sessionContext) upload(ctx context.Context, st *sessionTab, a *sessions.Action) error {
	content, err := base64.StdEncoding.DecodeString(a.ContentBase64)
	if err != nil {
		return fmt.Errorf("%w: contentBase64: %v", render.ErrInvalidRequest, err)
	}
	obj, err := sc.element(ctx, st, a.Target)
	if err != nil {
		return err
	}
	if err := st.call(ctx, obj, fileInputScript, nil); err != nil {
		return err
	}
	sc.mu.Lock()
	if sc.uploadDir == "" {
		sc.uploadDir, err = os.MkdirTemp(sc.browser.proc.dataDir, "session-upload-")
	}
	dir := sc.uploadDir
	sc.mu.Unlock()
	if err != nil {
		return fmt.Errorf("upload directory: %w", err)
	}
	sub, err := os.MkdirTemp(dir, "f-")
	if err != nil {
		return fmt.Errorf("upload directory: %w", err)
	}
	path := filepath.Join(sub, filepath.Base(a.Name))
	if err := os.WriteFile(path, content, 0o600); err != nil {
		return fmt.Errorf("write upload: %w", err)
	}
	return st.settle(ctx, func(ctx context.Context) error {
		if _, err := cdp.Call(ctx, st.s, dom.SetFileInputFiles, dom.SetFileInputFilesParams{Files: []string{path}, ObjectID: obj}); err != nil {
			return fmt.Errorf("set the file: %w", err)
		}
		return nil
	})
}

// answer accepts or dismisses the open dialog, with text for a prompt.
func (st *sessionTab) answer(ctx context.Context, accept bool, text string) error {
	d := st.pendingDialog()
	if d == nil {
		return fmt.Errorf("%w: no dialog is open", render.ErrInvalidRequest)
	}
	return st.settle(ctx, func(ctx context.Context) error {
		if _, err := cdp.Call(ctx, st.s, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept, PromptText: text}); err != nil {
			return fmt.Errorf("answer the dialog: %w", err)
		}
		st.mu.Lock()
		st.dialog = nil
		st.mu.Unlock()
		return nil
	})
}
