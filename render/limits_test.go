package render

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestValidateLimits covers the bounds on what a request hands the browser:
// each refusal is an ErrInvalidRequest that names the field and the limit,
// and a request right at a limit passes.
func TestValidateLimits(t *testing.T) {
	headers := func(n int) map[string]string {
		h := make(map[string]string, n)
		for i := range n {
			h[fmt.Sprintf("X-H%d", i)] = "v"
		}
		return h
	}
	strs := func(n int, s string) []string {
		l := make([]string, n)
		for i := range l {
			l[i] = s
		}
		return l
	}
	cookies := func(n int) []Cookie {
		c := make([]Cookie, n)
		for i := range c {
			c[i] = Cookie{Name: fmt.Sprintf("c%d", i), Value: "v", Domain: "example.com"}
		}
		return c
	}
	big := func(n int) string { return strings.Repeat("a", n) }
	bigHeaders := make(map[string]string)
	for i := range 9 { // 9 × 8 KiB > 64 KiB, each within its own limit
		bigHeaders[fmt.Sprintf("X-Big%d", i)] = big(MaxHeaderLength - 10)
	}
	page := "https://example.com/"

	tests := []struct {
		name    string
		req     Request
		wantErr string // "" for a valid request
	}{
		{"every option within its limits", Request{URL: page,
			ExtraHTTPHeaders: headers(MaxHeaders), Cookies: cookies(MaxCookies),
			Authenticate:         &Credentials{Username: big(MaxCredential), Password: big(MaxCredential)},
			RejectRequestPattern: strs(MaxPatterns, big(MaxPatternLength)), AllowResourceTypes: strs(MaxResourceTypes, "image"),
			AddScriptTag: []ScriptTag{{Content: big(MaxTagContent)}, {URL: "https://cdn.example.com/a.js"}},
			AddStyleTag:  []StyleTag{{URL: "http://cdn.example.com/a.css"}},
			UserAgent:    big(MaxUserAgent), WaitForSelector: &WaitForSelector{Selector: big(MaxSelectorLength)},
			Selector: big(MaxSelectorLength), WaitForTimeout: MaxWaitForTimeout,
			GotoOptions: &GotoOptions{Referer: "https://ref.example.com/"}}, ""},
		{"cookie and authorization headers are the caller's to set", Request{URL: page,
			ExtraHTTPHeaders: map[string]string{"Cookie": "a=b", "Authorization": "Bearer x", "Referer": page}}, ""},

		{"too many headers", Request{URL: page, ExtraHTTPHeaders: headers(MaxHeaders + 1)}, "setExtraHTTPHeaders has 65 headers; the limit is 64"},
		{"header value too long", Request{URL: page, ExtraHTTPHeaders: map[string]string{"X-A": big(MaxHeaderLength + 1)}}, `setExtraHTTPHeaders["X-A"] is 8193 bytes; the limit is 8192`},
		{"header name too long", Request{URL: page, ExtraHTTPHeaders: map[string]string{big(MaxHeaderLength + 1): "v"}}, "a header name is 8193 bytes; the limit is 8192"},
		{"headers too big in total", Request{URL: page, ExtraHTTPHeaders: bigHeaders}, "the limit is 65536"},
		{"header name with a space", Request{URL: page, ExtraHTTPHeaders: map[string]string{"X A": "v"}}, `"X A" is not a valid header name`},
		{"header value with CRLF", Request{URL: page, ExtraHTTPHeaders: map[string]string{"X-A": "v\r\nHost: evil"}}, "contains a line break"},
		{"host header", Request{URL: page, ExtraHTTPHeaders: map[string]string{"host": "internal"}}, "host is a connection header"},
		{"hop-by-hop header", Request{URL: page, ExtraHTTPHeaders: map[string]string{"Transfer-Encoding": "chunked"}}, "Transfer-Encoding is a connection header"},
		{"proxy header", Request{URL: page, ExtraHTTPHeaders: map[string]string{"Proxy-Authorization": "Basic x"}}, "Proxy-Authorization is a connection header"},

		{"too many cookies", Request{URL: page, Cookies: cookies(MaxCookies + 1)}, "cookies has 201 cookies; the limit is 200"},
		{"cookie too big", Request{URL: page, Cookies: []Cookie{{Name: "n", Value: big(MaxCookieLength)}}}, "cookies[0]: name and value are 8193 bytes; the limit is 8192"},
		{"cookie domain too long", Request{URL: page, Cookies: []Cookie{{Name: "n", Domain: big(MaxCookieAttribute + 1)}}}, "cookies[0].domain is 1025 bytes"},
		{"cookie file url", Request{HTML: "x", Cookies: []Cookie{{Name: "n", URL: "file:///etc/passwd"}}}, "cookies[0].url must be an http:// or https:// URL"},
		{"cookie url with credentials", Request{HTML: "x", Cookies: []Cookie{{Name: "n", URL: "http://u:p@example.com/"}}}, "cookies[0].url must not carry a user name"},

		{"username too long", Request{URL: page, Authenticate: &Credentials{Username: big(MaxCredential + 1)}}, "authenticate: username and password may be at most 1024 bytes"},
		{"password too long", Request{URL: page, Authenticate: &Credentials{Password: big(MaxCredential + 1)}}, "authenticate: username and password may be at most 1024 bytes"},

		{"too many reject patterns", Request{URL: page, RejectRequestPattern: strs(MaxPatterns+1, "x")}, "rejectRequestPattern has 65 entries; the limit is 64"},
		{"allow pattern too long", Request{URL: page, AllowRequestPattern: []string{big(MaxPatternLength + 1)}}, "allowRequestPattern[0] is 2049 bytes; the limit is 2048"},
		{"too many resource types", Request{URL: page, RejectResourceTypes: strs(MaxResourceTypes+1, "image")}, "rejectResourceTypes has 65 entries; the limit is 64"},

		{"too many script tags", Request{URL: page, AddScriptTag: make([]ScriptTag, MaxTags+1)}, "addScriptTag has 17 tags; the limit is 16"},
		{"script content too big", Request{URL: page, AddScriptTag: []ScriptTag{{Content: big(MaxTagContent + 1)}}}, "addScriptTag[0].content is 1048577 bytes; the limit is 1048576"},
		{"javascript script url", Request{URL: page, AddScriptTag: []ScriptTag{{URL: "javascript:alert(1)"}}}, "addScriptTag[0].url must be an http:// or https:// URL"},
		{"file script url", Request{URL: page, AddScriptTag: []ScriptTag{{URL: "file:///etc/passwd"}}}, "addScriptTag[0].url must be an http:// or https:// URL"},
		{"script id too long", Request{URL: page, AddScriptTag: []ScriptTag{{Content: "1", ID: big(MaxTagAttribute + 1)}}}, "addScriptTag[0]: type and id may be at most 1024 bytes"},
		{"too many style tags", Request{URL: page, AddStyleTag: make([]StyleTag, MaxTags+1)}, "addStyleTag has 17 tags; the limit is 16"},
		{"style content too big", Request{URL: page, AddStyleTag: []StyleTag{{Content: big(MaxTagContent + 1)}}}, "addStyleTag[0].content is 1048577 bytes"},
		{"data style url", Request{URL: page, AddStyleTag: []StyleTag{{URL: "data:text/css,body{}"}}}, "addStyleTag[0].url must be an http:// or https:// URL"},

		{"user agent too long", Request{URL: page, UserAgent: big(MaxUserAgent + 1)}, "userAgent is 1025 bytes; the limit is 1024"},
		{"user agent with a newline", Request{URL: page, UserAgent: "a\nb"}, "userAgent contains a line break"},
		{"wait selector too long", Request{URL: page, WaitForSelector: &WaitForSelector{Selector: big(MaxSelectorLength + 1)}}, "waitForSelector.selector is 1025 bytes; the limit is 1024"},
		{"screenshot selector too long", Request{URL: page, Selector: big(MaxSelectorLength + 1)}, "selector is 1025 bytes; the limit is 1024"},
		{"wait too long", Request{URL: page, WaitForTimeout: MaxWaitForTimeout + 1}, "waitForTimeout is 60001 ms; the limit is 60000"},
		{"timeout that would overflow", Request{URL: page, GotoOptions: &GotoOptions{Timeout: 1 << 62}}, "gotoOptions.timeout is 4611686018427387904 ms; the limit is 86400000"},
		{"selector timeout that would overflow", Request{URL: page, WaitForSelector: &WaitForSelector{Selector: "p", Timeout: 1 << 62}}, "waitForSelector.timeout is 4611686018427387904 ms"},
		{"referer not http", Request{URL: page, GotoOptions: &GotoOptions{Referer: "chrome://settings"}}, "gotoOptions.referer must be an http:// or https:// URL"},
		{"pdf template too big", Request{URL: page, PDFOptions: &PDFOptions{HeaderTemplate: big(MaxPDFTemplate + 1)}}, "pdfOptions: headerTemplate and footerTemplate may be at most 65536 bytes"},
		{"pdf margin too long", Request{URL: page, PDFOptions: &PDFOptions{Margin: &PDFMargin{Top: big(MaxPDFLength + 1)}}}, "pdfOptions: format, width, height and margins may be at most 64 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.req.Validate()
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tt.wantErr != "" && !errors.Is(err, ErrInvalidRequest):
				t.Fatalf("Validate: %v, want an ErrInvalidRequest", err)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("Validate: %q, want it to say %q", err, tt.wantErr)
			}
		})
	}
}
