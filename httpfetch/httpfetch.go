// Package httpfetch is the "http" engine: it fetches a document with a plain
// HTTP client and runs no script, for pages whose content is in their HTML.
// It is a render.Fetcher, like the browser pool, and obeys the same request
// options a plain fetch can: the deadline, headers, user agent, referer,
// cookies, HTTP credentials and the network guard, which it uses as its
// dialer so that every connection, redirects included, goes to a checked
// address.
//
// Under render.EngineAuto it also judges whether the document needs a
// browser (see NeedsBrowser) and, if so, returns render.ErrNeedsBrowser so
// that the service renders it in Chromium instead.
package httpfetch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/html/charset"
	"golang.org/x/net/publicsuffix"

	"github.com/sous-dev/sous/netguard"
	"github.com/sous-dev/sous/render"
)

// Defaults of Options and PDFLimits.
const (
	DefaultMaxDocumentBytes = 32 << 20 // a PDF
	DefaultPDFMaxPages      = 200
)

// Options configure a Fetcher. Zero values mean the documented defaults.
type Options struct {
	// Guard checks every address the fetcher connects to; nil means no
	// checks at all (tests, or an operator who allows everything).
	Guard *netguard.Guard
	// UserAgent is sent when a request sets none; default DefaultUserAgent.
	// The service passes the browser's, so a site answers both alike.
	UserAgent string
	// MaxBytes caps the document's size; default render.MaxHTMLLength.
	MaxBytes int64
	// MaxRedirects caps a redirect chain; default 10.
	MaxRedirects int
	// MaxDocumentBytes caps the size of a PDF, which runs larger than
	// pages do; default 32 MiB.
	MaxDocumentBytes int64
	// PDF bounds the reading of each PDF (see PDFLimits).
	PDF PDFLimits
	// Signer, when set, signs every request, redirects included (Web Bot
	// Auth: identity.Signer).
	Signer TransportSigner
}

// TransportSigner wraps a RoundTripper in one that signs each request.
type TransportSigner interface {
	Transport(base http.RoundTripper) http.RoundTripper
}

// DefaultUserAgent is sent when neither the request nor Options name one.
const DefaultUserAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36"

// Fetcher fetches documents over HTTP. It is safe for concurrent use, and
// keeps connections alive between requests.
type Fetcher struct {
	opts      Options
	transport *http.Transport
	// roundTripper sends requests: transport, signed when a signer is set.
	roundTripper http.RoundTripper
	pdf          *pdfReader
}

// New returns a Fetcher.
func New(opts Options) *Fetcher {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.MaxBytes == 0 {
		opts.MaxBytes = render.MaxHTMLLength
	}
	if opts.MaxRedirects == 0 {
		opts.MaxRedirects = 10
	}
	if opts.MaxDocumentBytes == 0 {
		opts.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	dial := (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	if opts.Guard != nil {
		dial = opts.Guard.DialContext
	}
	f := &Fetcher{opts: opts, pdf: newPDFReader(opts.PDF), transport: &http.Transport{
		Proxy:                 nil, // never an environment proxy: the guard must see the real address
		DialContext:           dial,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   4,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 0, // the request's deadline bounds it
	}}
	f.roundTripper = f.transport
	if opts.Signer != nil {
		f.roundTripper = opts.Signer.Transport(f.transport)
	}
	return f
}

// Close drops idle connections.
func (f *Fetcher) Close() error {
	f.transport.CloseIdleConnections()
	return nil
}

// Fetch loads req's document. Under render.EngineAuto (or no engine) it
// returns an error wrapping render.ErrNeedsBrowser when the document needs
// script to show its content; under render.EngineHTTP it returns the
// document as it is.
func (f *Fetcher) Fetch(ctx context.Context, req *render.Request) (*render.Page, error) {
	var page *render.Page
	if req.HTML != "" {
		page = &render.Page{URL: "about:blank", HTML: req.HTML}
	} else {
		var err error
		if page, err = f.get(ctx, req); err != nil {
			return nil, err
		}
	}
	page.Engine = render.EngineHTTP
	doc := inspect(page.HTML)
	page.Title = doc.title
	if req.Engine != render.EngineHTTP {
		if why := doc.needsBrowser(req); why != "" {
			return nil, fmt.Errorf("%w: %s", render.ErrNeedsBrowser, why)
		}
	}
	return page, nil
}

// get fetches req.URL and decodes the document to UTF-8 HTML.
func (f *Fetcher) get(ctx context.Context, req *render.Request) (*render.Page, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodGet, req.URL, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", render.ErrInvalidRequest, err)
	}
	canonicalise(hr.URL)
	hr.Header.Set("User-Agent", f.opts.UserAgent)
	hr.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	hr.Header.Set("Accept-Language", "en-US,en;q=0.9")
	if req.UserAgent != "" {
		hr.Header.Set("User-Agent", req.UserAgent)
	}
	if g := req.GotoOptions; g != nil && g.Referer != "" {
		hr.Header.Set("Referer", g.Referer)
	}
	for name, value := range req.ExtraHTTPHeaders {
		hr.Header.Set(name, value)
	}
	if a := req.Authenticate; a != nil {
		// Sent before any challenge, but to this origin only: see
		// checkRedirect.
		hr.SetBasicAuth(a.Username, a.Password)
	}
	jar, err := cookieJar(req)
	if err != nil {
		return nil, err
	}
	home := origin(hr.URL)
	client := &http.Client{
		Transport: f.roundTripper,
		Jar:       jar,
		CheckRedirect: func(next *http.Request, via []*http.Request) error {
			if err := f.checkRedirect(next, via); err != nil {
				return err
			}
			// Go copies the first request's headers onto every redirect,
			// dropping Authorization only for another host, not for another
			// port or scheme, and keeping every other header. Credentials
			// and extra headers are for the origin the caller asked for.
			if origin(next.URL) != home {
				next.Header.Del("Authorization")
				for name := range req.ExtraHTTPHeaders {
					next.Header.Del(name)
				}
			}
			return nil
		},
	}
	resp, err := client.Do(hr)
	if err != nil {
		return nil, fetchError(ctx, req.URL, err)
	}
	defer resp.Body.Close()

	contentType := resp.Header.Get("Content-Type")
	limit := f.opts.MaxBytes
	if mayBePDF(contentType) {
		limit = max(limit, f.opts.MaxDocumentBytes)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fetchError(ctx, req.URL, err)
	}
	if int64(len(body)) > limit {
		if req.Engine != render.EngineHTTP && !mayBePDF(contentType) {
			// The browser has no such limit: under auto it renders the page.
			return nil, fmt.Errorf("%w: the document is larger than the http engine's limit of %s", render.ErrNeedsBrowser, sizeText(limit))
		}
		return nil, fmt.Errorf("%w: %s is larger than the http engine's limit of %s (the operator's --max-page-size raises it; engine browser or auto renders a web page in Chromium)",
			render.ErrPageTooLarge, req.URL, sizeText(limit))
	}
	page := &render.Page{URL: resp.Request.URL.String(), Status: resp.StatusCode, Headers: headerMap(resp.Header), ContentType: mediaType(contentType, body)}
	if isPDF(contentType, body) {
		doc, err := f.pdf.read(ctx, body)
		if err != nil {
			return nil, fetchError(ctx, req.URL, err)
		}
		page.HTML, page.ContentType, page.Pages, page.Warnings = doc.html, "application/pdf", doc.pages, doc.warnings
		return page, nil
	}
	if page.HTML, err = asHTML(body, contentType, req.Engine); err != nil {
		return nil, err
	}
	return page, nil
}

// mayBePDF reports whether a response of this type may be a PDF: one
// labelled so, or labelled as bytes of no particular kind.
func mayBePDF(contentType string) bool {
	media, _, _ := mime.ParseMediaType(contentType)
	return media == "application/pdf" || media == "application/x-pdf" || media == "application/octet-stream" || media == ""
}

// isPDF reports whether a body is a PDF: labelled so, or as bytes of no
// particular kind, with the PDF header in its first kilobyte (where
// readers look for it).
func isPDF(contentType string, body []byte) bool {
	return mayBePDF(contentType) && bytes.Contains(body[:min(len(body), 1024)], []byte("%PDF-"))
}

// mediaType is the media type of a body, from its label or its bytes.
func mediaType(contentType string, body []byte) string {
	if contentType == "" {
		contentType = http.DetectContentType(body)
	}
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return "application/octet-stream"
	}
	return media
}

// headerMap is h with lower-case names, repeated values on separate lines,
// as render.Page.Headers holds them.
func headerMap(h http.Header) map[string]string {
	m := make(map[string]string, len(h))
	for name, values := range h {
		m[strings.ToLower(name)] = strings.Join(values, "\n")
	}
	return m
}

// sizeText writes n bytes as people read sizes: 8 MiB, 512 KiB, 100 bytes.
func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkRedirect bounds a redirect chain and keeps it on http and https.
func (f *Fetcher) checkRedirect(next *http.Request, via []*http.Request) error {
	if len(via) > f.opts.MaxRedirects {
		return fmt.Errorf("%w: more than %d redirects", render.ErrNavigation, f.opts.MaxRedirects)
	}
	if next.URL.Scheme != "http" && next.URL.Scheme != "https" {
		return fmt.Errorf("%w: redirect to a %s: URL", render.ErrBlocked, next.URL.Scheme)
	}
	canonicalise(next.URL)
	return nil
}

// origin is u's scheme, host and port, the port spelled out.
func origin(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + strings.ToLower(u.Hostname()) + ":" + port
}

// canonicalise writes u's host as a browser reads it (0x7f.1 is 127.0.0.1;
// see netguard.CanonicalHost), so that the fetch connects where Chromium
// would, and the guard judges that address.
func canonicalise(u *url.URL) {
	host := netguard.CanonicalHost(u.Hostname())
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port := u.Port(); port != "" {
		host += ":" + port
	}
	u.Host = host
}

// fetchError maps a client error to the render sentinels: a guard refusal
// is ErrBlocked naming its rule, anything else ErrNavigation. The deadline
// is left to the service, which turns it into ErrTimeout.
func fetchError(ctx context.Context, rawURL string, err error) error {
	var blocked *netguard.BlockedError
	switch {
	case errors.As(err, &blocked):
		return render.Blocked(blocked.Host, blocked.Rule)
	case errors.Is(err, render.ErrNavigation), errors.Is(err, render.ErrBlocked):
		return err // from checkRedirect
	case ctx.Err() != nil:
		return fmt.Errorf("fetch %s: %w", rawURL, ctx.Err())
	}
	return fmt.Errorf("%w: fetch %s: %v", render.ErrNavigation, rawURL, err)
}

// cookieJar holds the request's cookies, so that they go to the hosts and
// paths they name, redirects included.
func cookieJar(req *render.Request) (http.CookieJar, error) {
	jar, err := cookiejar.New(&cookiejar.Options{PublicSuffixList: publicsuffix.List})
	if err != nil {
		return nil, err
	}
	for _, c := range req.Cookies {
		target := c.URL
		if target == "" && c.Domain != "" {
			target = "https://" + strings.TrimPrefix(c.Domain, ".") + "/"
		}
		if target == "" {
			target = req.URL
		}
		u, err := url.Parse(target)
		if err != nil {
			return nil, fmt.Errorf("%w: cookie %s: url %q: %v", render.ErrInvalidRequest, c.Name, target, err)
		}
		hc := &http.Cookie{Name: c.Name, Value: c.Value, Domain: c.Domain, Path: c.Path, Secure: c.Secure, HttpOnly: c.HTTPOnly}
		if c.Expires > 0 {
			hc.Expires = time.Unix(int64(c.Expires), 0)
		}
		// The jar keys cookies by host, not scheme: an http URL gets a
		// cookie set for the https form of its domain, unless it is Secure.
		for _, scheme := range []string{"http", "https"} {
			v := *u
			v.Scheme = scheme
			jar.SetCookies(&v, []*http.Cookie{hc})
		}
	}
	return jar, nil
}

// asHTML turns a response body into an HTML document in UTF-8. HTML is
// decoded by its declared or sniffed charset; plain text, JSON, XML, CSS and
// script are shown as Chromium shows them, in a <pre>. Anything else (an
// image, a PDF) needs a browser, or is refused under EngineHTTP.
func asHTML(body []byte, contentType, engine string) (string, error) {
	if contentType == "" {
		contentType = http.DetectContentType(body)
	}
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		media = "application/octet-stream"
	}
	switch {
	case media == "text/html" || media == "application/xhtml+xml":
		r, err := charset.NewReader(bytes.NewReader(body), contentType)
		if err != nil {
			return string(body), nil // unknown charset: read as UTF-8, as a browser would guess
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return "", fmt.Errorf("%w: decode document: %v", render.ErrNavigation, err)
		}
		return string(b), nil
	case strings.HasPrefix(media, "text/") || media == "application/json" || media == "application/xml" ||
		media == "application/javascript" || strings.HasSuffix(media, "+json") || strings.HasSuffix(media, "+xml"):
		r, err := charset.NewReader(bytes.NewReader(body), contentType)
		if err == nil {
			if b, err := io.ReadAll(r); err == nil {
				body = b
			}
		}
		return "<html><head></head><body><pre>" + html.EscapeString(string(body)) + "</pre></body></html>", nil
	}
	if engine == render.EngineHTTP {
		return "", fmt.Errorf("%w: the http engine reads text documents, not %s; use engine browser", render.ErrNavigation, media)
	}
	return "", fmt.Errorf("%w: a %s document", render.ErrNeedsBrowser, media)
}
