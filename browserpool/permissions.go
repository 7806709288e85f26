package browserpool

import (
	"context"
	"fmt"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
)

// askedPermissions are the permissions whose default, in a fresh browser
// context, is to ask the user ("prompt"). The others are granted without a
// question and a page cannot change them.
var askedPermissions = []browser.PermissionDescriptor{
	{Name: "geolocation"}, {Name: "notifications"}, {Name: "push", UserVisibleOnly: true},
	{Name: "midi"}, {Name: "midi", Sysex: true}, {Name: "camera"}, {Name: "microphone"},
	{Name: "clipboard-read"}, {Name: "idle-detection"}, {Name: "window-management"},
	{Name: "local-fonts"}, {Name: "persistent-storage"}, {Name: "display-capture"},
	{Name: "captured-surface-control"}, {Name: "local-network-access"},
}

// holdPermissions overrides every asked permission of the browser context
// id, for every origin, with "prompt", its default. Headless Chromium has
// no one to ask: it denies a page's request and remembers the denial for
// the origin in the context, where no protocol command clears it, so the
// next caller's page of that origin would see "denied" and learn that an
// earlier page asked. Under the override a request is answered "prompt"
// (Notification.requestPermission gives "default") and nothing is stored.
func holdPermissions(ctx context.Context, bs session, id cdp.BrowserContextID) error {
	for _, d := range askedPermissions {
		params := browser.SetPermissionParams{Permission: &d, Setting: browser.PermissionSettingPrompt, BrowserContextID: id}
		if _, err := cdp.Call(ctx, bs, browser.SetPermission, params); err != nil {
			return fmt.Errorf("hold permission %s at prompt: %w", d.Name, err)
		}
	}
	return nil
}
