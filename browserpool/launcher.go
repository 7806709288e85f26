package browserpool

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/sous-dev/sous/render"
)

// Launcher is a Fetcher that starts a fresh Chromium for every request and
// stops it afterwards: no warm-up cost for a single render from the command
// line, and the naive baseline that `sous bench` compares the pool against.
type Launcher struct {
	ExecPath     string // default: FindChrome("")
	AllowPrivate bool
	Flags        []string
	// RendererMemory and BrowserMemory are as in Options.
	RendererMemory, BrowserMemory int64
}

var _ render.Fetcher = (*Launcher)(nil)

// Fetch launches a browser, renders req in a new tab and closes the browser.
func (l *Launcher) Fetch(ctx context.Context, req *render.Request) (*render.Page, error) {
	execPath := l.ExecPath
	if execPath == "" {
		var err error
		if execPath, err = FindChrome(""); err != nil {
			return nil, err
		}
	}
	guard, err := newNetworkGuard(l.AllowPrivate, nil, nil)
	if err != nil {
		return nil, err
	}
	defer guard.close()
	if req.URL != "" {
		if err := guard.checkDocument(ctx, req.URL); err != nil {
			return nil, err
		}
	}
	renderer, browser := defaultCaps(l.RendererMemory, l.BrowserMemory, 1)
	proc, ua, err := launchWithUserAgent(ctx, execPath, append(slices.Clone(l.Flags), guard.flags()...), nil,
		memoryCaps{renderer: max(renderer, 0), browser: max(browser, 0)})
	if err != nil {
		return nil, classify(ctx, fmt.Errorf("%w: %v", render.ErrBrowser, err))
	}
	defer proc.close()
	b := &browserProc{proc: proc}
	t, err := newTab(ctx, b, ua)
	if err != nil {
		return nil, classify(ctx, err)
	}
	page, _, err := t.render(ctx, req, guard, slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, classify(ctx, err)
	}
	return page, nil
}
