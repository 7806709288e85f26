package browserpool

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"

	"github.com/sous-dev/sous/render"
	sessions "github.com/sous-dev/sous/session"
)

var _ sessions.Downloader = (*sessionContext)(nil)

// sessionDownloads are the files a session's pages downloaded, saved by
// Chromium under dir, each named by its guid.
type sessionDownloads struct {
	mu     sync.Mutex
	dir    string
	list   []*sessions.Download
	byGUID map[string]*sessions.Download
	total  int64
}

// keepDownloads makes Chromium save the context's downloads in a directory
// of the session's, readable by the service's user alone, and follows
// them, cancelling any past the bounds.
func (sc *sessionContext) keepDownloads(ctx context.Context) error {
	// Inside the browser's profile, so that whatever removes the profile
	// (the guard, when the service dies) removes the files too.
	dir, err := os.MkdirTemp(sc.browser.proc.dataDir, "session-downloads-")
	if err != nil {
		return fmt.Errorf("download directory: %w", err)
	}
	sc.downloads = &sessionDownloads{dir: dir, byGUID: map[string]*sessions.Download{}}
	bs := session{conn: sc.browser.proc.conn}
	// The events of every context come to the browser's session: each
	// context keeps those of its own frames.
	began, stopBegan := bs.Subscribe(browser.DownloadWillBegin.Method)
	progress, stopProgress := bs.Subscribe(browser.DownloadProgress.Method)
	if _, err := cdp.Call(ctx, bs, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: sc.id, DownloadPath: dir, EventsEnabled: ptr(true),
	}); err != nil {
		stopBegan()
		stopProgress()
		return fmt.Errorf("keep downloads: %w", err)
	}
	sc.wg.Go(func() {
		defer stopBegan()
		defer stopProgress()
		for {
			select {
			case raw, ok := <-began:
				if !ok {
					return
				}
				var ev browser.EventDownloadWillBegin
				if jsonv2.Unmarshal(raw, &ev) == nil && sc.ownsFrame(ev.FrameID) {
					sc.downloads.begin(ev)
				}
			case raw, ok := <-progress:
				if !ok {
					return
				}
				var ev browser.EventDownloadProgress
				if jsonv2.Unmarshal(raw, &ev) != nil {
					continue
				}
				if over := sc.downloads.update(ev); over != "" {
					cctx, cancel := context.WithTimeout(sc.life, 5*time.Second)
					_, err := cdp.Call(cctx, bs, browser.CancelDownload, browser.CancelDownloadParams{GUID: ev.GUID, BrowserContextID: sc.id})
					cancel()
					if err != nil {
						// A download past its cap that goes on writing ends the session.
						sc.end(fmt.Errorf("a download passed its cap (%s) and could not be cancelled: %w", over, err))
						return
					}
				}
			case <-sc.life.Done():
				return
			}
		}
	})
	return nil
}

// ownsFrame reports whether frame is the main frame of one of the tabs.
func (sc *sessionContext) ownsFrame(frame cdp.FrameID) bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return slices.ContainsFunc(sc.tabs, func(st *sessionTab) bool { return string(st.targetID) == string(frame) })
}

func (d *sessionDownloads) begin(ev browser.EventDownloadWillBegin) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.list) >= 100 {
		return
	}
	dl := &sessions.Download{Index: len(d.list), Name: filepath.Base(ev.SuggestedFilename), URL: ev.URL, State: "inProgress"}
	d.list = append(d.list, dl)
	d.byGUID[ev.GUID] = dl
}

// update records a download's progress, and returns why it must be
// cancelled when it is past the bounds.
func (d *sessionDownloads) update(ev browser.EventDownloadProgress) (over string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	dl, ok := d.byGUID[ev.GUID]
	if !ok || dl.State != "inProgress" {
		return ""
	}
	d.total += int64(ev.ReceivedBytes) - dl.Bytes
	dl.Bytes = int64(ev.ReceivedBytes)
	switch {
	case ev.TotalBytes > sessions.MaxDownload || ev.ReceivedBytes > sessions.MaxDownload:
		over = fmt.Sprintf("canceled: larger than the %d MiB a download may be", sessions.MaxDownload>>20)
	case d.total > sessions.MaxDownloadTotal:
		over = fmt.Sprintf("canceled: the session's downloads passed %d MiB", sessions.MaxDownloadTotal>>20)
	}
	if over != "" {
		dl.State = over
		os.Remove(filepath.Join(d.dir, ev.GUID))
		return over
	}
	switch ev.State {
	case browser.DownloadProgressStateCompleted:
		dl.State = "completed"
	case browser.DownloadProgressStateCanceled:
		dl.State = "canceled"
	}
	return ""
}

// Downloads lists the context's downloads.
func (sc *sessionContext) Downloads() []sessions.Download {
	d := sc.downloads
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]sessions.Download, len(d.list))
	for i, dl := range d.list {
		out[i] = *dl
	}
	return out
}

// ReadDownload returns a completed download and its content.
func (sc *sessionContext) ReadDownload(index int) (sessions.Download, []byte, error) {
	d := sc.downloads
	if d == nil {
		return sessions.Download{}, nil, fmt.Errorf("%w: no download %d", render.ErrNotFound, index)
	}
	d.mu.Lock()
	var dl sessions.Download
	var guid string
	if index >= 0 && index < len(d.list) {
		dl = *d.list[index]
		for g, x := range d.byGUID {
			if x == d.list[index] {
				guid = g
			}
		}
	}
	d.mu.Unlock()
	switch {
	case guid == "":
		return sessions.Download{}, nil, fmt.Errorf("%w: no download %d in this session", render.ErrNotFound, index)
	case dl.State != "completed":
		return dl, nil, fmt.Errorf("%w: download %d is %s", render.ErrInvalidRequest, index, dl.State)
	}
	content, err := os.ReadFile(filepath.Join(d.dir, guid))
	if err != nil {
		return dl, nil, fmt.Errorf("read download %d: %w", index, err)
	}
	return dl, content, nil
}
