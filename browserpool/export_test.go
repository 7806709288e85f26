package browserpool

import (
	"context"

	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"

	"github.com/sous-dev/sous/render"
)

// Scripts names the page scripts of js/, for the tests of each.
var Scripts = map[string]string{
	"settle": settleScript, "settle_state": settleStateScript, "scroll": scrollScript,
	"overlay": overlayScript, "snapshot": snapshotScript, "scrollintoview": scrollIntoViewScript,
	"addtag": addTagScript, "waitselector": waitForSelectorScript, "ready": readyScript,
	"keepdocument": keepDocumentScript,
}

// CallScript loads url in a tab of p and calls the script named name
// (see Scripts) with args, returning its JSON value.
func CallScript(ctx context.Context, p *Pool, url, name string, args ...any) (jsonv2.Value, error) {
	t, err := p.lease(ctx)
	if err != nil {
		return nil, err
	}
	failed := true
	defer func() { p.release(t, failed) }()
	net := newNetworkWatch(t.s)
	defer net.stop()
	nav := newNavigationWatch(t.s, "")
	defer nav.stop()
	if _, _, err := t.navigate(ctx, &render.Request{URL: url}, net, nav, p.guard, loadWait{event: "load"}); err != nil {
		return nil, err
	}
	fn, ok := Scripts[name]
	if !ok {
		fn = name // an expression of the test's own
	}
	var v jsonv2.Value
	if name == "settle" || name == "keepdocument" {
		v, err = t.eval(ctx, fn) // a statement, not a function
	} else {
		v, err = t.call(ctx, fn, args...)
	}
	failed = err != nil
	return v, err
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
