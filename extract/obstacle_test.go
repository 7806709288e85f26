package extract_test

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sous-dev/sous/extract"
)

// article is a page of real content, into which cases put what they test.
func article(head, body string) string {
	para := "<p>Sourdough starts with flour and water left to ferment for a few days, until wild yeast and lactic bacteria settle in. " +
		"A baker feeds the starter every day and keeps part of it for the next loaf, which is why old bakeries prize theirs.</p>\n"
	return "<!doctype html><html><head><title>Sourdough at home</title>" + head + "</head><body>" +
		`<header><nav><a href="/">Home</a> <a href="/login">Log in</a> <a href="/subscribe">Subscribe</a></nav></header>` +
		"<main><article><h1>Sourdough at home</h1>" + strings.Repeat(para, 8) + body + "</article></main>" +
		"<footer>© Bakery Weekly</footer></body></html>"
}

// The vendors' pages below are built from what their documentation shows
// of them: Cloudflare's challenge and block pages and its cf-mitigated
// header, DataDome's captcha-delivery frame, HUMAN's block.html
// (#px-captcha with captcha.js), Akamai's Bot Manager interstitial and
// AkamaiGHost "Access Denied", Imperva's _Incapsula_Resource frame, AWS
// WAF's x-amzn-waf-action header and challenge.js, the widgets' embed
// snippets (cf-turnstile, h-captcha, g-recaptcha) and Google's paywalled
// content markup (isAccessibleForFree).
var cloudflareChallenge = `<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><meta name="robots" content="noindex,nofollow">
<style>*{box-sizing:border-box;margin:0;padding:0}</style></head><body><div class="main-wrapper" role="main">
<div class="main-content"><h1 class="zone-name-title h1">example.com</h1>
<h2 id="challenge-running" class="h2">Verifying you are human. This may take a few seconds.</h2>
<noscript><div id="challenge-error-title"><div class="h2"><span class="icon-wrapper"></span>Enable JavaScript and cookies to continue</div></div></noscript>
<div id="challenge-body-text" class="core-msg spacer">example.com needs to review the security of your connection before proceeding.</div></div></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "example.com",cType: 'managed',cRay: '8a1b2c3d4e5f6789',cH: 'abc',cUPMDTk: "\/?__cf_chl_tk=xyz",cFPWv: 'b',cITimeS: '1700000000'};
var cpo = document.createElement('script');cpo.src = '/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=8a1b2c3d4e5f6789';
window._cf_chl_opt.cOgUHash = location.hash === '' && location.href.indexOf('#') !== -1 ? '#' : location.hash;
document.getElementsByTagName('head')[0].appendChild(cpo);}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper"><div class="ray-id">Ray ID: <code>8a1b2c3d4e5f6789</code></div></div>
<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare</div></div></div></body></html>`

func TestDetectObstacle(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		headers map[string]string
		html    string
		// kind and vendor are what is found ("" for nothing); whole whether
		// the page is all obstacle.
		kind, vendor string
		whole        bool
	}{
		{"cloudflare challenge by its markup", 403, nil, cloudflareChallenge, "challenge", "cloudflare", true},
		{"cloudflare challenge by its header", 403, map[string]string{"cf-mitigated": "challenge", "server": "cloudflare"}, "<html><body></body></html>", "challenge", "cloudflare", true},
		{"cloudflare orchestrator alone", 503, nil, `<html><head><title>Just a moment...</title></head><body><script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray=1"></script></body></html>`, "challenge", "cloudflare", true},
		{"cloudflare block page", 403, map[string]string{"server": "cloudflare"}, `<html><head><title>Attention Required! | Cloudflare</title></head><body><div id="cf-wrapper"><div id="cf-error-details" class="cf-error-details-wrapper"><h1>Sorry, you have been blocked</h1><h2>You are unable to access example.com</h2><p>Cloudflare Ray ID: 8a1b2c3d</p></div></div></body></html>`, "challenge", "cloudflare", true},
		{"turnstile page", 200, nil, `<html><head><title>One more step</title><script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script></head><body><form action="/verify" method="POST"><p>Please confirm you are a person.</p><div class="cf-turnstile" data-sitekey="1x00000000000000000000AA"></div><button type="submit">Continue</button></form></body></html>`, "captcha", "cloudflare", true},
		{"hcaptcha page", 200, nil, `<html><head><script src="https://js.hcaptcha.com/1/api.js" async defer></script></head><body><form action="" method="POST"><div class="h-captcha" data-sitekey="10000000-ffff-ffff-ffff-000000000001"></div><input type="submit" value="Submit"></form></body></html>`, "captcha", "hcaptcha", true},
		{"google sorry page with recaptcha", 429, nil, `<html><head><title>https://www.google.com/search?q=sourdough</title><script src="https://www.google.com/recaptcha/api.js" async defer></script></head><body><div id="captcha-form"><form action="index" method="post"><div class="g-recaptcha" data-sitekey="6LfwuyUTAAAAAOAmoS0fdqijC2PbbdH4kjq62Y1b"></div></form></div><p>Our systems have detected unusual traffic from your computer network.</p></body></html>`, "captcha", "recaptcha", true},
		{"datadome captcha", 403, map[string]string{"x-datadome": "protected", "set-cookie": "datadome=abc; Path=/"}, `<html><head><title>example.com</title><style>#cmsg{animation: A 1.5s;}</style></head><body style="margin:0"><p id="cmsg">Please enable JS and disable any ad blocker</p><script data-cfasync="false">var dd={'rt':'c','cid':'AHrlqAAAAAMA','hsh':'2211F522B61E269B869FA6EAFFB5E1','t':'fe','s':17434,'e':'abc','host':'geo.captcha-delivery.com','cookie':'xyz'}</script><script data-cfasync="false" src="https://ct.captcha-delivery.com/c.js"></script></body></html>`, "captcha", "datadome", true},
		{"datadome device check", 403, map[string]string{"x-datadome": "protected"}, `<html><body><iframe src="https://geo.captcha-delivery.com/interstitial/?initialCid=AHrl&hash=2211F&cid=abc" width="100%" height="100%" title="DataDome Device Check"></iframe></body></html>`, "challenge", "datadome", true},
		{"human press and hold", 403, nil, `<html lang="en"><head><title>Access to this page has been denied</title></head><body><div class="container"><h1>Before we continue...</h1><p>Press &amp; Hold to confirm you are a human (and not a bot).</p><div id="px-captcha"></div><p>Reference ID 5b3c1a2e</p></div><script>window._pxAppId = 'PXa1b2c3d4';window._pxJsClientSrc = '/a1b2c3d4/init.js';window._pxHostUrl = '/a1b2c3d4/xhr';</script><script src="/a1b2c3d4/captcha/captcha.js?a=c&m=0"></script></body></html>`, "captcha", "perimeterx", true},
		{"akamai bot manager challenge", 200, nil, `<html><head><title>Challenge Validation</title><script src="/_sec/cp_challenge/sec-cpt-4-2.js" async defer></script></head><body><div id="sec-if-cpt-container" class="cpt-container"><div id="sec-text-container"><h1>Your request is being verified</h1></div></div></body></html>`, "challenge", "akamai", true},
		{"akamai access denied", 403, map[string]string{"server": "AkamaiGHost"}, `<HTML><HEAD><TITLE>Access Denied</TITLE></HEAD><BODY><H1>Access Denied</H1>You don't have permission to access "http&#58;&#47;&#47;www&#46;example&#46;com&#47;" on this server.<P>Reference&#32;&#35;18&#46;abcd1234&#46;1700000000&#46;5a6b7c</P></BODY></HTML>`, "challenge", "akamai", true},
		{"imperva frame", 200, map[string]string{"x-cdn": "Imperva", "x-iinfo": "5-123-0 NNNN CT(0 0 0) RT(1 0) q(0 0 0 -1) r(0 0) U5"}, `<html style="height:100%"><head><META NAME="robots" CONTENT="noindex,nofollow"><script src="/_Incapsula_Resource?SWJIYLWA=5074a744e2e3d891814e9a2dace20bd4,719d34d31c8e3a6e6fffd425f7e032f3"></script></head><body style="margin:0px;height:100%"><iframe id="main-iframe" src="/_Incapsula_Resource?CWUDNSAI=9&xinfo=5-123-0&incident_id=123-456&edet=15&cinfo=ffffffff" frameborder=0 width="100%" height="100%" marginheight="0px" marginwidth="0px">Request unsuccessful. Incapsula incident ID: 123-456</iframe></body></html>`, "challenge", "imperva", true},
		{"aws waf challenge header", 202, map[string]string{"x-amzn-waf-action": "challenge"}, `<html><head><script src="https://abc.token.awswaf.com/abc/challenge.js"></script></head><body><div id="challenge-container"></div></body></html>`, "challenge", "aws-waf", true},
		{"aws waf captcha header", 405, map[string]string{"x-amzn-waf-action": "captcha"}, `<html><body><div id="captcha-container"></div></body></html>`, "captcha", "aws-waf", true},
		{"vercel checkpoint", 429, map[string]string{"x-vercel-mitigated": "challenge"}, `<html><head><title>Vercel Security Checkpoint</title></head><body></body></html>`, "challenge", "vercel", true},
		{"unknown vendor says it checks the browser", 503, nil, `<html><head><title>Checking your browser before accessing example.com</title></head><body><h1>Please wait</h1><script>setTimeout(function(){location.reload()},5000)</script></body></html>`, "challenge", "", true},
		{"http 402", 402, nil, `<html><body><h1>Payment required</h1></body></html>`, "payment", "", true},
		{"http 402 with x402", 402, map[string]string{"payment-required": "eyJ4NDAyVmVyc2lvbiI6Mn0="}, `{"x402Version":2,"accepts":[]}`, "payment", "x402", true},
		{"cloudflare pay per crawl", 402, map[string]string{"crawler-price": "USD 0.01"}, ``, "payment", "cloudflare", true},
		{"login page", 200, nil, `<html><head><title>Sign in · Example</title></head><body><header><a href="/">Example</a></header><main><h1>Sign in to Example</h1><form action="/session" method="post"><label>Email <input type="email" name="email"></label><label>Password <input type="password" name="password"></label><button>Sign in</button></form><p><a href="/forgot">Forgot password?</a> <a href="/join">Create an account</a></p></main><footer>Terms · Privacy</footer></body></html>`, "login", "", true},
		{"http 401", 401, map[string]string{"www-authenticate": `Bearer realm="example"`}, `<html><body><h1>Please log in</h1><p>You need an account to see this page.</p></body></html>`, "login", "", true},
		{"paywall over a teaser", 200, nil, `<html><head><title>Why bread rises</title><script src="https://cdn.tinypass.com/api/tinypass.min.js"></script></head><body><article><h1>Why bread rises</h1><p>Yeast eats sugar and breathes out carbon dioxide, which the gluten traps.</p><div class="tp-modal"><div class="tp-backdrop"></div><h2>Subscribe to continue reading</h2><p>Already a subscriber? <a href="/login">Log in</a></p></div></article></body></html>`, "paywall", "piano", true},
		{"paywall by its words alone", 200, nil, `<html><head><title>Why bread rises</title></head><body><article><h1>Why bread rises</h1><p>Yeast eats sugar and breathes out carbon dioxide.</p><p>This post is for paid subscribers</p><a href="/subscribe">Subscribe</a></article></body></html>`, "paywall", "", true},
		{"article with a paywall notice", 200, nil, article(`<script type="application/ld+json">{"@context":"https://schema.org","@type":"NewsArticle","headline":"Sourdough at home","isAccessibleForFree":false,"hasPart":{"@type":"WebPageElement","isAccessibleForFree":false,"cssSelector":".paywall"}}</script>`, `<div class="paywall"><p>Subscribe to continue reading the last section.</p></div>`), "paywall", "", false},
		{"article marked not free", 200, nil, article(`<script type="application/ld+json">[{"@type":"NewsArticle","isAccessibleForFree":"False"}]</script>`, ""), "paywall", "", false},

		// Content, not obstacles.
		{"article about captchas", 200, nil, article("", `<h2>How captchas work</h2><p>Sites show reCAPTCHA, hCaptcha or Cloudflare Turnstile; a challenge page says "Just a moment..." and sets <code>window._cf_chl_opt</code>. Embedding one takes <code>&lt;div class="g-recaptcha"&gt;</code>. Then log in with your password, or subscribe to continue reading.</p>`), "", "", false},
		{"article with a login form in its header", 200, nil, article("", `<form class="login" action="/session"><input name="user"><input type="password" name="pw"><button>Log in</button></form>`), "", "", false},
		{"article behind cloudflare's javascript detections", 200, map[string]string{"server": "cloudflare", "cf-ray": "8a1b2c3d4e5f6789-FRA"}, article("", `<script>(function(){function c(){var b=a.contentDocument||a.contentWindow.document;if(b){var d=b.createElement('script');d.innerHTML="window.__CF$cv$params={r:'8a1b',t:'MTcwMA=='};var a=document.createElement('script');a.nonce='';a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';document.getElementsByTagName('head')[0].appendChild(a);";b.getElementsByTagName('head')[0].appendChild(d)}}})();</script>`), "", "", false},
		{"article with a recaptcha comment form", 200, nil, article(`<script src="https://www.google.com/recaptcha/api.js"></script>`, `<form id="comments"><textarea name="c"></textarea><div class="g-recaptcha" data-sitekey="x"></div></form>`), "", "", false},
		{"article behind human's sensor", 200, nil, article("", `<script>window._pxAppId = 'PXa1b2c3d4';</script><script src="/a1b2c3d4/init.js"></script>`), "", "", false},
		{"article behind imperva", 200, map[string]string{"x-cdn": "Imperva", "x-iinfo": "1-2-3"}, article(`<script src="/_Incapsula_Resource?SWJIYLWA=719d34d31c8e3a6e6fffd425f7e032f3"></script>`, ""), "", "", false},
		{"free part marked non-paywall", 200, nil, article("", `<div class="non-paywall">All of it is free.</div>`), "", "", false},
		{"not found page", 404, nil, `<html><head><title>Not found</title></head><body><h1>Not found</h1><p>No page here.</p></body></html>`, "", "", false},
		{"empty page", 200, nil, `<html><body></body></html>`, "", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, whole := extract.DetectObstacle(tc.status, tc.headers, tc.html)
			if tc.kind == "" {
				if o != nil {
					t.Fatalf("found %+v (whole %v) in content", *o, whole)
				}
				return
			}
			if o == nil {
				t.Fatalf("found nothing, want a %s", tc.kind)
			}
			if o.Kind != tc.kind || o.Vendor != tc.vendor || whole != tc.whole {
				t.Errorf("found %s by %q (whole %v), want %s by %q (whole %v); evidence %q", o.Kind, o.Vendor, whole, tc.kind, tc.vendor, tc.whole, o.Evidence)
			}
			if o.Evidence == "" {
				t.Error("no evidence")
			}
		})
	}
}

func TestDetectObstacleEvidence(t *testing.T) {
	o, _ := extract.DetectObstacle(403, nil, cloudflareChallenge)
	for _, want := range []string{"HTTP 403", "_cf_chl_opt", "/cdn-cgi/challenge-platform/", `"Just a moment..."`} {
		if !strings.Contains(o.Evidence, want) {
			t.Errorf("evidence %q leaves out %s", o.Evidence, want)
		}
	}
}

// A document nested deeper than any page is parsed without recursion.
func TestDetectObstacleDeepDocument(t *testing.T) {
	src := "<html><body>" + strings.Repeat("<div>", 5_000) + `<input type="password">` + "</body></html>"
	if o, whole := extract.DetectObstacle(200, nil, src); o == nil || o.Kind != "login" || !whole {
		t.Errorf("got %+v (whole %v), want a login", o, whole)
	}
}

func FuzzDetectObstacle(f *testing.F) {
	f.Add(403, cloudflareChallenge)
	f.Add(200, article("", ""))
	f.Fuzz(func(t *testing.T, status int, src string) {
		o, whole := extract.DetectObstacle(status, nil, src)
		if whole && o == nil {
			t.Fatal("whole without an obstacle")
		}
	})
}

// No page of the shared corpora (real articles, forums, shops, listings,
// each with content people came for) is taken for an obstacle. Discourse
// forums (a display:none sign-in form), Shopify stores and Flarum (a
// Turnstile in a sign-up modal) once were.
func TestDetectObstacleCorpus(t *testing.T) {
	dirs := []string{"article-extraction/html", "wcxb-dev/html"}
	seen := 0
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join("..", "..", "shared", "corpus", dir, "*.html*"))
		for i, f := range files {
			if len(files) > 500 && i%5 != 0 {
				continue // a fifth of the large corpus keeps the test quick
			}
			src := readCorpusFile(t, f)
			seen++
			if o, whole := extract.DetectObstacle(200, nil, src); whole {
				t.Errorf("%s/%s: taken for a %s: %s", dir, filepath.Base(f), o.Kind, o.Evidence)
			}
		}
	}
	if seen == 0 {
		t.Skip("no corpus beside the module")
	}
}

func readCorpusFile(t *testing.T, name string) string {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(name, ".gz") {
		if r, err = gzip.NewReader(f); err != nil {
			t.Fatal(err)
		}
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
