package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzRequestJSON feeds arbitrary bytes through the request boundary the way
// the HTTP API does — decode, then Validate — and checks that nothing panics,
// that every refusal is an ErrInvalidRequest, and that a request Validate
// accepts keeps within the limits the browser relies on.
func FuzzRequestJSON(f *testing.F) {
	for _, seed := range []string{
		`{"url": "https://example.com"}`,
		`{"html": "<p>x</p>", "formats": ["markdown", "links", "screenshot"]}`,
		`{"url": "http://2130706433/", "gotoOptions": {"waitUntil": ["load", "networkidle0"], "timeout": 5000}}`,
		`{"url": "https://example.com", "gotoOptions": {"waitUntil": "networkidle2", "referer": "https://a.example/"}}`,
		`{"url": "https://example.com", "setExtraHTTPHeaders": {"X-A": "b", "Cookie": "c=d"}, "userAgent": "ua"}`,
		`{"url": "https://example.com", "cookies": [{"name": "a", "value": "b", "url": "https://example.com"}]}`,
		`{"url": "https://example.com", "authenticate": {"username": "u", "password": "p"}}`,
		`{"url": "https://example.com", "rejectRequestPattern": ["/\\.css$/i"], "allowResourceTypes": ["document"]}`,
		`{"url": "https://example.com", "addScriptTag": [{"content": "1"}, {"url": "https://cdn.example/x.js"}], "addStyleTag": [{"content": "a{}"}]}`,
		`{"url": "https://example.com", "waitForSelector": {"selector": "#app", "visible": true, "timeout": 100}, "waitForTimeout": 10}`,
		`{"url": "https://example.com", "viewport": {"width": 800, "height": 600, "deviceScaleFactor": 2}}`,
		`{"url": "https://example.com", "screenshotOptions": {"type": "jpeg", "quality": 50, "clip": {"x": 0, "y": 0, "width": 10, "height": 10}}, "selector": "h1"}`,
		`{"url": "https://example.com", "pdfOptions": {"format": "A4", "margin": {"top": "1cm"}}, "cacheTTL": 0}`,
		`{"html": "x", "includeTags": ["article"], "excludeTags": [".ad"], "onlyMainContent": true, "maxChars": 10}`,
		`{"url": "file:///etc/passwd"}`,
		`{"url": "http://u:p@example.com/"}`,
		`{"url": ["not", "a", "string"]}`,
		`{"url": "https://example.com", "rejectRequestPattern": ["(a"]}`,
		`{"html": "x", "gotoOptions": {"timeout": 9223372036854775807}}`,
		`null`, `[]`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r Request
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if dec.Decode(&r) != nil {
			return
		}
		n, err := r.Normalize()
		if err != nil {
			if !errors.Is(err, ErrInvalidRequest) {
				t.Fatalf("Normalize: %v is not an ErrInvalidRequest", err)
			}
			return
		}
		r = *n
		// Accepted: what the browser and the cache depend on holds.
		if (r.URL == "") == (r.HTML == "") {
			t.Fatalf("accepted a request with url %q and %d bytes of html", r.URL, len(r.HTML))
		}
		if len(r.Formats) == 0 {
			t.Fatal("accepted a request with no formats")
		}
		if len(r.ExtraHTTPHeaders) > MaxHeaders || len(r.Cookies) > MaxCookies || len(r.AddScriptTag) > MaxTags ||
			len(r.AddStyleTag) > MaxTags || len(r.RejectRequestPattern) > MaxPatterns || len(r.AllowRequestPattern) > MaxPatterns ||
			len(r.UserAgent) > MaxUserAgent || r.WaitForTimeout > MaxWaitForTimeout {
			t.Fatal("accepted a request beyond a limit")
		}
		for _, p := range append(r.RejectRequestPattern, r.AllowRequestPattern...) {
			if _, err := CompilePattern(p); err != nil {
				t.Fatalf("accepted pattern %q that does not compile: %v", p, err)
			}
		}
		if d := r.Deadline(30*time.Second, time.Minute); d <= 0 || d > time.Minute {
			t.Fatalf("Deadline = %v", d)
		}
		// A normalised request, copied as the JSON a client would send,
		// normalises again without error.
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		var again Request
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		if err := again.Validate(); err != nil {
			t.Fatalf("a request Normalize accepted fails a second time: %v", err)
		}
	})
}
