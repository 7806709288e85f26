package render

import (
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Limits on the options a request passes to the browser. A render service
// takes requests from callers it need not trust; without bounds a single
// request body (up to the transport's body limit) could ask for thousands of
// headers, cookies or patterns, each costing the browser work on every
// request the page makes. The limits are far above what real pages and
// Puppeteer scripts use.
const (
	MaxHeaders         = 64      // setExtraHTTPHeaders entries
	MaxHeaderLength    = 8 << 10 // one header's name, or its value
	MaxHeadersTotal    = 64 << 10
	MaxCookies         = 200
	MaxCookieLength    = 8 << 10 // a cookie's name and value together
	MaxCookieAttribute = 1 << 10 // a cookie's domain, path or sameSite
	MaxCredential      = 1 << 10 // authenticate.username, authenticate.password
	MaxPatterns        = 64      // each of reject/allowRequestPattern
	MaxPatternLength   = 2 << 10
	MaxResourceTypes   = 64 // each of reject/allowResourceTypes
	MaxResourceTypeLen = 64
	MaxTags            = 16      // each of addScriptTag and addStyleTag
	MaxTagContent      = 1 << 20 // inline content of one tag
	MaxTagAttribute    = 1 << 10 // a script tag's type or id
	MaxUserAgent       = 1 << 10
	MaxWaitForTimeout  = 60000 // milliseconds
	// MaxTimeout bounds gotoOptions.timeout and waitForSelector.timeout, in
	// milliseconds. The service caps a request's deadline far lower (its
	// --max-timeout); this bound only keeps the conversion to a Duration
	// from overflowing into a negative deadline.
	MaxTimeout       = 24 * 60 * 60 * 1000
	MaxPDFTemplate   = 64 << 10
	MaxPDFLength     = 64 // a pdfOptions size, margin or format
	MaxPDFPageRanges = 1 << 10
)

// forbiddenHeaders may not be set with setExtraHTTPHeaders. They describe a
// connection or a message's framing rather than the request, so Chromium
// either ignores them or lets them desynchronise the proxy between the
// browser and the site; Proxy-* ones would be read by Sous's own network
// guard proxy, not the site. End-to-end headers a caller may legitimately
// want to set — Cookie, Authorization, Referer, User-Agent — are allowed:
// they go only to the sites the page loads, which the caller chose.
var forbiddenHeaders = map[string]bool{
	"host": true, "connection": true, "keep-alive": true, "proxy-connection": true,
	"proxy-authorization": true, "proxy-authenticate": true, "te": true, "trailer": true,
	"transfer-encoding": true, "upgrade": true, "content-length": true, "expect": true,
}

// checkLimits bounds the size and count of every option a request hands to
// the browser, and checks that URLs it carries besides the page's own are
// http or https. Each refusal names the field and the limit.
func (r *Request) checkLimits() error {
	if len(r.ExtraHTTPHeaders) > MaxHeaders {
		return invalid("setExtraHTTPHeaders has %d headers; the limit is %d", len(r.ExtraHTTPHeaders), MaxHeaders)
	}
	total := 0
	// In name order, so that the first problem reported is the same every time.
	for _, name := range slices.Sorted(maps.Keys(r.ExtraHTTPHeaders)) {
		value := r.ExtraHTTPHeaders[name]
		switch {
		case len(name) > MaxHeaderLength:
			return invalid("setExtraHTTPHeaders: a header name is %d bytes; the limit is %d", len(name), MaxHeaderLength)
		case !isToken(name):
			return invalid("setExtraHTTPHeaders: %q is not a valid header name", name)
		case forbiddenHeaders[strings.ToLower(name)] || strings.HasPrefix(strings.ToLower(name), "proxy-"):
			return invalid("setExtraHTTPHeaders: %s is a connection header and may not be set", name)
		case len(value) > MaxHeaderLength:
			return invalid("setExtraHTTPHeaders[%q] is %d bytes; the limit is %d", name, len(value), MaxHeaderLength)
		case strings.ContainsAny(value, "\r\n\x00"):
			return invalid("setExtraHTTPHeaders[%q] contains a line break or NUL", name)
		}
		total += len(name) + len(value)
	}
	if total > MaxHeadersTotal {
		return invalid("setExtraHTTPHeaders total %d bytes; the limit is %d", total, MaxHeadersTotal)
	}

	if len(r.Cookies) > MaxCookies {
		return invalid("cookies has %d cookies; the limit is %d", len(r.Cookies), MaxCookies)
	}
	for i, c := range r.Cookies {
		if n := len(c.Name) + len(c.Value); n > MaxCookieLength {
			return invalid("cookies[%d]: name and value are %d bytes; the limit is %d", i, n, MaxCookieLength)
		}
		for _, a := range []struct{ field, value string }{{"domain", c.Domain}, {"path", c.Path}, {"sameSite", c.SameSite}} {
			if len(a.value) > MaxCookieAttribute {
				return invalid("cookies[%d].%s is %d bytes; the limit is %d", i, a.field, len(a.value), MaxCookieAttribute)
			}
		}
		if c.URL != "" {
			if err := checkHTTPURL("cookies["+strconv.Itoa(i)+"].url", c.URL); err != nil {
				return err
			}
		}
	}

	if a := r.Authenticate; a != nil {
		if len(a.Username) > MaxCredential || len(a.Password) > MaxCredential {
			return invalid("authenticate: username and password may be at most %d bytes each", MaxCredential)
		}
	}

	for _, list := range []struct {
		field    string
		items    []string
		max, len int
	}{
		{"rejectRequestPattern", r.RejectRequestPattern, MaxPatterns, MaxPatternLength},
		{"allowRequestPattern", r.AllowRequestPattern, MaxPatterns, MaxPatternLength},
		{"rejectResourceTypes", r.RejectResourceTypes, MaxResourceTypes, MaxResourceTypeLen},
		{"allowResourceTypes", r.AllowResourceTypes, MaxResourceTypes, MaxResourceTypeLen},
	} {
		if len(list.items) > list.max {
			return invalid("%s has %d entries; the limit is %d", list.field, len(list.items), list.max)
		}
		for i, s := range list.items {
			if len(s) > list.len {
				return invalid("%s[%d] is %d bytes; the limit is %d", list.field, i, len(s), list.len)
			}
		}
	}

	if len(r.AddScriptTag) > MaxTags {
		return invalid("addScriptTag has %d tags; the limit is %d", len(r.AddScriptTag), MaxTags)
	}
	for i, t := range r.AddScriptTag {
		if err := checkTag("addScriptTag["+strconv.Itoa(i)+"]", t.URL, t.Content); err != nil {
			return err
		}
		if len(t.Type) > MaxTagAttribute || len(t.ID) > MaxTagAttribute {
			return invalid("addScriptTag[%d]: type and id may be at most %d bytes each", i, MaxTagAttribute)
		}
	}
	if len(r.AddStyleTag) > MaxTags {
		return invalid("addStyleTag has %d tags; the limit is %d", len(r.AddStyleTag), MaxTags)
	}
	for i, t := range r.AddStyleTag {
		if err := checkTag("addStyleTag["+strconv.Itoa(i)+"]", t.URL, t.Content); err != nil {
			return err
		}
	}

	if len(r.UserAgent) > MaxUserAgent {
		return invalid("userAgent is %d bytes; the limit is %d", len(r.UserAgent), MaxUserAgent)
	}
	if strings.ContainsAny(r.UserAgent, "\r\n\x00") {
		return invalid("userAgent contains a line break or NUL")
	}
	if w := r.WaitForSelector; w != nil && len(w.Selector) > MaxSelectorLength {
		return invalid("waitForSelector.selector is %d bytes; the limit is %d", len(w.Selector), MaxSelectorLength)
	}
	if len(r.Selector) > MaxSelectorLength {
		return invalid("selector is %d bytes; the limit is %d", len(r.Selector), MaxSelectorLength)
	}
	if r.WaitForTimeout > MaxWaitForTimeout {
		return invalid("waitForTimeout is %d ms; the limit is %d", r.WaitForTimeout, MaxWaitForTimeout)
	}
	if g := r.GotoOptions; g != nil && g.Timeout > MaxTimeout {
		return invalid("gotoOptions.timeout is %d ms; the limit is %d", g.Timeout, MaxTimeout)
	}
	if w := r.WaitForSelector; w != nil && w.Timeout > MaxTimeout {
		return invalid("waitForSelector.timeout is %d ms; the limit is %d", w.Timeout, MaxTimeout)
	}
	if g := r.GotoOptions; g != nil && g.Referer != "" {
		if err := checkHTTPURL("gotoOptions.referer", g.Referer); err != nil {
			return err
		}
	}
	if p := r.PDFOptions; p != nil {
		if len(p.HeaderTemplate) > MaxPDFTemplate || len(p.FooterTemplate) > MaxPDFTemplate {
			return invalid("pdfOptions: headerTemplate and footerTemplate may be at most %d bytes each", MaxPDFTemplate)
		}
		if len(p.PageRanges) > MaxPDFPageRanges {
			return invalid("pdfOptions.pageRanges is %d bytes; the limit is %d", len(p.PageRanges), MaxPDFPageRanges)
		}
		sizes := []string{p.Format, p.Width, p.Height}
		if m := p.Margin; m != nil {
			sizes = append(sizes, m.Top, m.Right, m.Bottom, m.Left)
		}
		for _, s := range sizes {
			if len(s) > MaxPDFLength {
				return invalid("pdfOptions: format, width, height and margins may be at most %d bytes each", MaxPDFLength)
			}
		}
	}
	return nil
}

// checkTag bounds an added script or style tag: inline content is capped and
// a URL must be http or https (a file: or javascript: URL would sidestep the
// network guard or run as the page).
func checkTag(field, u, content string) error {
	if len(content) > MaxTagContent {
		return invalid("%s.content is %d bytes; the limit is %d", field, len(content), MaxTagContent)
	}
	if u != "" {
		return checkHTTPURL(field+".url", u)
	}
	return nil
}

// checkHTTPURL is ValidateURL for a URL in field other than the page's own.
func checkHTTPURL(field, u string) error {
	if len(u) > MaxURLLength {
		return invalid("%s is %d bytes; the limit is %d", field, len(u), MaxURLLength)
	}
	p, err := url.Parse(u)
	switch {
	case err != nil:
		return invalid("%s does not parse: %v", field, err)
	case p.Scheme != "http" && p.Scheme != "https":
		return invalid("%s must be an http:// or https:// URL", field)
	case p.Hostname() == "":
		return invalid("%s has no host", field)
	case p.User != nil:
		return invalid("%s must not carry a user name or password", field)
	}
	return nil
}

// isToken reports whether s is an HTTP field name (RFC 9110 token).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}
