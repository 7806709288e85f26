package browserpool

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"

	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"

	"github.com/sous-dev/sous/render"
)

// CPUTicks is the processor time, user and system, pid has used, in clock
// ticks; 0 once it has exited.
func CPUTicks(pid int) int64 {
	ticks, _ := cpuTicks(filepath.Join("/proc", strconv.Itoa(pid)), false)
	return ticks
}

// Scripts names the page scripts of js/, for the tests of each.
var Scripts = map[string]string{
	"settle": settleScript, "settle_state": settleStateScript, "scroll": scrollScript,
	"overlay": overlayScript, "snapshot": snapshotScript, "scrollintoview": scrollIntoViewScript,
	"addtag": addTagScript, "waitselector": waitForSelectorScript, "ready": readyScript,
	"keepdocument": keepDocumentScript, "queryselector": querySelectorScript, "scrollby": scrollByScript,
	"visible": visibleScript, "hastext": hasTextScript, "localstorage": localStorageScript,
	"setlocalstorage": setLocalStorageScript,
}

// ElementScripts names the page scripts of js/ that a session's actions
// call on an element, for the tests of each.
var ElementScripts = map[string]string{
	"center": centerScript, "focusfield": focusFieldScript, "clearfield": clearFieldScript,
	"fieldkind": fieldKindScript, "selectoptions": selectOptionsScript, "checked": checkedScript,
	"fileinput": fileInputScript,
}

// CallScript loads url in a tab of p and calls the script named name
// (see Scripts) with args, returning its JSON value.
func CallScript(ctx context.Context, p *Pool, url, name string, args ...any) (v jsonv2.Value, err error) {
	t, release, err := loadForScript(ctx, p, url)
	if err != nil {
		return nil, err
	}
	defer func() { release(err) }()
	fn, ok := Scripts[name]
	if !ok {
		fn = name // an expression of the test's own
	}
	if name == "settle" || name == "keepdocument" {
		return t.eval(ctx, fn) // a statement, not a function
	}
	return t.call(ctx, fn, args...)
}

// CallElementScript loads url in a tab of p and calls the script named
// name (see ElementScripts) on the first element selector matches, with
// args, as a session's action does: a script's thrown Error is an
// ErrInvalidRequest with its message. It returns the script's JSON value
// (nil when it returns nothing) and then, when after is not empty, the
// JSON value of that expression, for what the script did to the page.
func CallElementScript(ctx context.Context, p *Pool, url, selector, name string, args []any, after string) (v, afterValue jsonv2.Value, err error) {
	t, release, err := loadForScript(ctx, p, url)
	if err != nil {
		return nil, nil, err
	}
	defer func() {
		// An element that does not suit the script leaves the tab as good
		// as any.
		if errors.Is(err, render.ErrInvalidRequest) {
			release(nil)
		} else {
			release(err)
		}
	}()
	fn, ok := ElementScripts[name]
	if !ok {
		fn = name // a function of the test's own
	}
	obj, err := t.querySelector(ctx, selector)
	if err != nil {
		return nil, nil, err
	}
	st := &sessionTab{tab: t}
	if err := st.call(ctx, obj, fn, &v, args...); err != nil {
		return nil, nil, err
	}
	if after != "" {
		afterValue, err = t.eval(ctx, after)
	}
	return v, afterValue, err
}

// loadForScript leases a tab of p and loads url in it. release returns the
// tab, as failed when err is not nil.
func loadForScript(ctx context.Context, p *Pool, url string) (t *tab, release func(err error), err error) {
	t, err = p.lease(ctx)
	if err != nil {
		return nil, nil, err
	}
	release = func(err error) { p.release(t, err != nil) }
	net := newNetworkWatch(t.s)
	nav := newNavigationWatch(t.s, "")
	_, _, err = t.navigate(ctx, &render.Request{URL: url}, net, nav, p.guard, loadWait{event: "load"})
	nav.stop()
	net.stop()
	// The wipe clears the storage of the origins the tab has seen, as a
	// render records them: without this a script's localStorage item
	// would meet the next test that leases the tab.
	t.keepOrigins(net)
	if err != nil {
		release(err)
		return nil, nil, err
	}
	return t, release, nil
}

// ProfileDirs returns the profile directories of p's running browsers, by
// which tests find their processes (CountProcesses and the like).
func ProfileDirs(p *Pool) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var dirs []string
	for b := range p.browsers {
		dirs = append(dirs, b.proc.dataDir)
	}
	return dirs
}
