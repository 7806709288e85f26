// Package browserpool renders pages in pooled headless Chromium: it is the
// "browser" engine behind render.Service, a render.Fetcher.
//
// # Pool and tabs
//
// A Pool starts one Chromium process (see chrome.go: flags, process group,
// memory caps) and keeps warm tabs, each in its own browser context (an
// incognito profile). A request leases a tab, renders in it and releases
// it; off the request path the tab is wiped (tab.wipe: the document left
// from inside the page, cookies, storage of every origin the page touched
// and of its frames of other sites under the page's site (sites.go), the
// HTTP cache, history, window.name and the request's overrides; every
// permission that would ask the user is held at "prompt", see
// permissions.go) or, when it cannot be trusted (a failed render, HTTP
// authentication, a popup, TabReuse renders), closed with its context and
// replaced. Browsers are
// health-checked, recycled after a number of renders or an age, and
// replaced when they crash.
//
// # Guard
//
// Every request a page makes goes through netguard's proxy (guard.go),
// frames and workers included, so page traffic never reaches private
// addresses unless the operator allows it; the document's own address is
// also checked before navigation, for a clear error.
//
// # Render steps
//
// tab.render (render.go) runs one request as a list of small steps, each a
// renderRun method that returns an error:
//
//	apply              viewport, user agent, scripts off, media, cookies
//	intercept          the navigation gate; resource filters, headers, credentials
//	load               navigate (url) or write the document (html); wait for load
//	network idle       networkidle0/2 when waitUntil names one
//	tags, selector, timeout   addStyleTag/addScriptTag, waitForSelector, waitForTimeout
//	settle             until network, DOM, timers and navigations are quiet (settle.go)
//	overlays           consent banners and their like taken out (js/overlay.js)
//	scroll             a scroll pass for what loads on view (js/scroll.js)
//	snapshot           the composed HTML: shadow roots, frames (frames.go, js/snapshot.js)
//	screenshot, pdf, accessibility tree
//
// What a page does on its own after load is followed within bounds: script
// redirects, meta refreshes and history changes of a url render, up to
// maxHops (navigation.go); an html render keeps the caller's document and
// refuses navigations away from it. A page that navigates while it is read
// is read again, never reported as a browser failure.
//
// The JavaScript these steps run in pages lives in js/*.js, embedded and
// loaded by scripts.go, each file tested on fixture pages.
//
// # Use
//
//	pool, err := browserpool.New(ctx, browserpool.Options{})
//	if err != nil { … }
//	defer pool.Close()
//	page, err := pool.Fetch(ctx, normalizedRequest) // a *render.Page
package browserpool
