package render

import (
	"fmt"
	"strings"
)

// explainEmpty adds to res.Meta.Warnings why a successful result of a
// text format carries no text, so that an agent can tell an empty page
// from a page it did not get: a document with no text at all, a page
// still busy when its settle budget ran out, or one whose text a person
// could not see.
func explainEmpty(page *Page, req *Request, res *Result) {
	asked, empty := false, true
	for _, f := range []struct {
		format Format
		value  string
	}{{FormatMarkdown, res.Markdown}, {FormatText, res.Text}} {
		if req.Wants(f.format) {
			asked = true
			empty = empty && strings.TrimSpace(f.value) == ""
		}
	}
	if !asked || !empty {
		return
	}
	if page.Pages > 0 && len(page.Warnings) > 0 {
		return // the reader of the document said what it could not read
	}
	var why string
	switch {
	case page.Unsettled:
		why = fmt.Sprintf("the page has no text yet: it was still loading when its settle budget (%d ms) ran out; a larger settleTimeout, waitForSelector or a longer gotoOptions.timeout may help", req.Settle().Milliseconds())
	case page.Engine == EngineBrowser && req.Settle() == 0 && page.Pages == 0:
		why = "the page has no text when it was captured; settling was off (settleTimeout 0, or waitUntil/waitForSelector set), so content that script adds later was not awaited"
	case !hasBodyText(page.HTML):
		why = "the page has no text: its document is empty"
	case req.OnlyMainContent || len(req.IncludeTags) > 0 || len(req.ExcludeTags) > 0:
		why = "the page has text, but none is left after onlyMainContent, includeTags or excludeTags"
	default:
		why = "the page has no text a person would see: what it holds is hidden or not text (images, canvas, media)"
	}
	res.Meta.Warnings = append(res.Meta.Warnings, why)
}

// hasBodyText reports, without an HTML parser (render has none), whether a
// document holds any character outside its tags, scripts and styles.
func hasBodyText(html string) bool {
	lower := strings.ToLower(html)
	if i := strings.Index(lower, "<body"); i >= 0 {
		lower, html = lower[i:], html[i:]
	}
	inTag := false
	for i := 0; i < len(html); i++ {
		c := html[i]
		switch {
		case c == '<':
			for _, skip := range []string{"script", "style", "template", "noscript"} {
				if strings.HasPrefix(lower[i+1:], skip) {
					if end := strings.Index(lower[i:], "</"+skip); end >= 0 {
						i += end
					}
					break
				}
			}
			inTag = true
		case c == '>':
			inTag = false
		case !inTag && c > ' ':
			return true
		}
	}
	return false
}
