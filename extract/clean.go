package extract

import (
	"bytes"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// clean rewrites doc into the "html" format: a document a reader (or a
// model) can take as it is. It removes
//
//   - what runs or styles rather than says something: script, style,
//     noscript (with scripting on, its content is only text about scripts),
//     template (inert until a script uses it), stylesheet and preload links;
//   - embedded documents and objects (iframe, frame, object, embed), whose
//     content is not in this document anyway;
//   - SVG, whose markup is drawing instructions, not text;
//   - comments, event-handler attributes (on*) and javascript: or
//     vbscript: URLs;
//
// and makes every URL attribute absolute, so that the result still works
// away from the page's address. Everything else — structure, classes, ids,
// hidden elements — stays.
func clean(doc *html.Node, resolve resolver) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			switch {
			case removedByCleaning(c):
				n.RemoveChild(c)
			case c.Type == html.ElementNode:
				cleanAttributes(c, resolve)
				walk(c)
			}
			c = next
		}
	}
	walk(doc)
	mergeText(doc, true)
}

// mergeText joins the runs of adjacent text nodes that removing elements
// leaves behind. The parser never makes such runs, the converter's tree
// walkers do not expect them, and the converter's own merging is quadratic
// (it appends to the first node's string once per neighbour), so they are
// joined here, once, in linear time.
//
// With tidySpace the whitespace where two nodes meet is also shortened —
// to its last line break and that line's indentation, or to one space —
// so that a removed <script> leaves one indented line break behind in the
// cleaned HTML rather than a column of blank lines. Preformatted text keeps
// its whitespace as it is.
func mergeText(root *html.Node, tidySpace bool) {
	var walk func(n *html.Node, preformatted bool)
	walk = func(n *html.Node, preformatted bool) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode {
				walk(c, preformatted || isElement(c, "pre", "textarea", "listing", "xmp", "plaintext"))
				continue
			}
			if c.Type != html.TextNode || c.NextSibling == nil || c.NextSibling.Type != html.TextNode {
				continue
			}
			joined := []byte(c.Data)
			for next := c.NextSibling; next != nil && next.Type == html.TextNode; next = c.NextSibling {
				if tidySpace && !preformatted {
					joined = appendTidy(joined, next.Data)
				} else {
					joined = append(joined, next.Data...)
				}
				n.RemoveChild(next)
			}
			c.Data = string(joined)
		}
	}
	walk(root, false)
}

// maxIndent bounds the indentation a junction keeps, so that joining stays
// linear even when the whitespace runs are long.
const maxIndent = 64

func appendTidy(joined []byte, next string) []byte {
	before := bytes.TrimRightFunc(joined, isSpace)
	rest := strings.TrimLeftFunc(next, isSpace)
	space := string(joined[len(before):]) + next[:len(next)-len(rest)]
	switch i := strings.LastIndexByte(space, '\n'); {
	case i >= 0:
		space = space[i:min(len(space), i+1+maxIndent)]
	case space != "":
		space = space[:1]
	}
	return append(append(before, space...), rest...)
}

func removedByCleaning(n *html.Node) bool {
	switch n.Type {
	case html.CommentNode:
		return true
	case html.ElementNode:
	default:
		return false
	}
	if n.Namespace == "svg" {
		return true
	}
	switch n.Data {
	// Also in MathML, where a <script> or <style> tag makes an element of
	// that name too.
	case "script", "style":
		return true
	}
	if n.Namespace != "" {
		return false
	}
	switch n.Data {
	case "noscript", "template", "iframe", "frame", "frameset", "object", "embed", "applet":
		return true
	case "link":
		rel, _ := attr(n, "rel")
		return hasToken(rel, "stylesheet") || hasToken(rel, "preload") || hasToken(rel, "modulepreload")
	}
	return false
}

// urlAttributes hold one URL each. (srcset holds several and has its own
// rule; ping and archive are rare enough to leave.)
var urlAttributes = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true,
	"poster": true, "cite": true, "background": true, "longdesc": true,
}

func cleanAttributes(n *html.Node, resolve resolver) {
	kept := n.Attr[:0]
	for _, a := range n.Attr {
		key := strings.ToLower(a.Key)
		switch {
		case a.Namespace != "":
			// xlink:href and friends: only SVG uses them, and SVG is gone.
		case strings.HasPrefix(key, "on"):
			continue
		case urlAttributes[key]:
			switch scheme(a.Val) {
			case "javascript", "vbscript":
				continue
			}
			a.Val = resolve.absolute(a.Val)
		case key == "srcset":
			a.Val = resolveSrcset(a.Val, resolve)
		}
		kept = append(kept, a)
	}
	n.Attr = kept
}

// resolveSrcset makes each candidate URL of a srcset ("a.png 1x, b.png
// 480w") absolute and keeps its descriptor, splitting candidates the way the
// HTML standard does: a URL runs to the next whitespace (so the commas of a
// data: URL stay inside it) and its descriptors to the next comma outside
// parentheses.
func resolveSrcset(srcset string, resolve resolver) string {
	if resolve.base == nil {
		return srcset
	}
	var candidates []string
	for i := 0; i < len(srcset); {
		for i < len(srcset) && (isSpace(rune(srcset[i])) || srcset[i] == ',') {
			i++
		}
		start := i
		for i < len(srcset) && !isSpace(rune(srcset[i])) {
			i++
		}
		address := srcset[start:i]
		if address == "" {
			break
		}
		var descriptor string
		if trimmed := strings.TrimRight(address, ","); trimmed != address {
			address = trimmed
		} else {
			start, depth := i, 0
			for ; i < len(srcset); i++ {
				switch srcset[i] {
				case '(':
					depth++
				case ')':
					depth--
				}
				if srcset[i] == ',' && depth <= 0 {
					break
				}
			}
			descriptor = collapseSpace(srcset[start:i])
		}
		candidate := resolve.absolute(address)
		if descriptor != "" {
			candidate += " " + descriptor
		}
		candidates = append(candidates, candidate)
	}
	return strings.Join(candidates, ", ")
}

// prune removes what a reader of the page would not see, before the page
// becomes text or markdown: elements with the hidden attribute (except
// hidden="until-found", which is collapsed content the browser's find can
// open) or aria-hidden="true" (decorative icons, duplicated carousel
// slides, "#" heading anchors); the form widgets select, datalist and
// textarea, whose text is a list of choices or a user's draft rather than
// the page's content; and image maps, whose areas are geometry (they are
// in the links format). It also removes the elements the markdown converter
// would remove itself (input, link, meta), so that the text around them is
// joined here, in linear time (see mergeText).
func prune(doc *html.Node) {
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			if c.Type == html.ElementNode {
				if unseen(c) {
					n.RemoveChild(c)
				} else {
					walk(c)
				}
			}
			c = next
		}
	}
	walk(doc)
	mergeText(doc, false)
}

func unseen(n *html.Node) bool {
	if hidden, ok := attr(n, "hidden"); ok && !strings.EqualFold(strings.TrimSpace(hidden), "until-found") {
		return true
	}
	if ariaHidden, _ := attr(n, "aria-hidden"); strings.EqualFold(strings.TrimSpace(ariaHidden), "true") {
		return true
	}
	// Text hidden by an inline style is a classic carrier of instructions
	// meant for models and not for people.
	if style, ok := attr(n, "style"); ok {
		s := strings.ToLower(strings.Join(strings.Fields(style), ""))
		if strings.Contains(s, "display:none") || strings.Contains(s, "visibility:hidden") || strings.Contains(s, "font-size:0") {
			return true
		}
	}
	return isElement(n, "select", "datalist", "textarea", "map", "input", "link", "meta")
}

// joinCJKLines removes the line breaks that source formatting puts between
// two Chinese or Japanese characters. These scripts use no spaces between
// words, so a browser following CSS Text 3 removes such a break instead of
// showing it as a space; collapsing it to a space, as for Latin text, would
// put spaces into the middle of Japanese sentences. Only breaks within one
// text node are seen, which is where source formatting puts them.
func joinCJKLines(doc *html.Node) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				if strings.ContainsAny(c.Data, "\n\r") {
					c.Data = dropCJKBreaks(c.Data)
				}
			case isElement(c, "pre", "listing", "xmp", "plaintext", "code"):
			case c.Type == html.ElementNode:
				walk(c)
			}
		}
	}
	walk(doc)
}

func dropCJKBreaks(s string) string {
	var b strings.Builder
	last := rune(-1) // the last character before the current whitespace run
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isSpace(r) {
			b.WriteString(s[i : i+size])
			last = r
			i += size
			continue
		}
		end := i
		for end < len(s) && isSpace(rune(s[end])) {
			end++
		}
		run := s[i:end]
		nextRune, _ := utf8.DecodeRuneInString(s[end:])
		if !(end < len(s) && strings.ContainsAny(run, "\n\r") && isCJK(last) && isCJK(nextRune)) {
			b.WriteString(run)
		}
		i = end
	}
	return b.String()
}

// isCJK reports whether r is a Chinese or Japanese character or CJK
// punctuation: East Asian wide characters other than Hangul, since Korean
// separates words with spaces.
func isCJK(r rune) bool {
	switch {
	case r < 0x2E80:
		return false
	case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Bopomofo):
		return true
	case r >= 0x3000 && r <= 0x303F: // CJK symbols and punctuation
		return true
	case r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6: // full-width forms
		return true
	}
	return false
}

// dropIdentifierText removes the text nodes that are nothing but a UUID
// or an unrendered template expression, outside code: no one reads
// those. Shops that fight scrapers spell a
// word ("Sponsored") in one-letter spans between spans of UUIDs their
// stylesheet hides, a dozen to a card; a UUID a page means to be read
// is in code or inside a sentence.
func dropIdentifierText(doc *html.Node) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; {
			next := c.NextSibling
			switch {
			case c.Type == html.TextNode && (isUUID(strings.TrimSpace(c.Data)) || isTemplateExpression(strings.TrimSpace(c.Data))):
				n.RemoveChild(c)
			case c.Type == html.ElementNode && !isElement(c, "pre", "code", "kbd", "samp"):
				walk(c)
			}
			c = next
		}
	}
	walk(doc)
}

// isTemplateExpression reports whether s is one expression of a
// client-side template, left unrendered in the HTML ("{{ item.name }}",
// "{{ errors[1179].message }}"): a script fills it in, or never does, and
// its words are no one's to read.
func isTemplateExpression(s string) bool {
	if len(s) < 5 || len(s) > maxTemplateExpressionBytes || !strings.HasPrefix(s, "{{") || !strings.HasSuffix(s, "}}") {
		return false
	}
	inner := s[2 : len(s)-2]
	return !strings.Contains(inner, "{{") && !strings.Contains(inner, "}}")
}

// maxTemplateExpressionBytes bounds what is taken for one template
// expression rather than text that happens to be braced.
const maxTemplateExpressionBytes = 200

// isUUID reports whether s is a UUID in its usual spelling: 32 hex digits
// in groups of 8, 4, 4, 4 and 12, joined by hyphens.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// dropRepeatedSections removes, from the main content, each section whose
// text is word for word that of a section before it: a page that prints
// its content twice or more (a copy for small screens and one for large,
// which the stylesheet shows one at a time; a carousel's cloned slides)
// reads once. Only sections of some length (minRepeatedSectionChars) made
// of several blocks count, so that a line quoted in a reply, a note that
// a guide repeats at each step or a table's equal rows all stay.
//
// Sections are compared by a hash of their words, which one walk computes
// for every element from its children's: building each section's text
// would cost the page's text once for every level of nesting.
func dropRepeatedSections(root *html.Node) {
	type section struct {
		node *html.Node
		hash wordHash
	}
	var sections []section // in document order
	var walk func(n *html.Node) wordHash
	walk = func(n *html.Node) wordHash {
		var h wordHash
		switch {
		case n.Type == html.TextNode:
			start := -1
			for i := 0; i <= len(n.Data); i++ {
				if i < len(n.Data) && !isSpace(rune(n.Data[i])) {
					if start < 0 {
						start = i
					}
					continue
				}
				if start >= 0 {
					w := n.Data[start:i]
					h = h.then(wordHash{sum: fnv64(w), words: 1, chars: len(w)})
					start = -1
				}
			}
			return h
		case n.Type != html.ElementNode && n.Type != html.DocumentNode, neverText(n):
			return h
		}
		at := len(sections)
		blocks := 0
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			h = h.then(walk(c))
			if isBlock(c) {
				blocks++
			}
		}
		if n.Type == html.ElementNode && blocks >= 2 && h.chars >= minRepeatedSectionChars && !isElement(n, "pre", "code", "table") {
			// Before the sections inside it, which were added meanwhile.
			sections = slices.Insert(sections, at, section{n, h})
		}
		return h
	}
	walk(root)
	first := map[wordHash]*html.Node{}
	for _, s := range sections {
		if !contains(root, s.node) {
			continue // inside a section already dropped
		}
		if f, ok := first[s.hash]; !ok {
			first[s.hash] = s.node
		} else if !contains(f, s.node) {
			s.node.Parent.RemoveChild(s.node)
		}
	}
}

// wordHash is a polynomial hash of a run of words, with what it takes to
// append another run to it: equal runs of words hash alike whatever
// elements they are split across.
type wordHash struct {
	sum   uint64
	words int // words hashed, for the power that shifts the sum
	chars int // characters other than spaces
}

// then is the hash of h's words followed by next's.
func (h wordHash) then(next wordHash) wordHash {
	shift := uint64(1)
	for b, p := next.words, uint64(wordHashBase); b > 0; b >>= 1 {
		if b&1 == 1 {
			shift *= p
		}
		p *= p
	}
	return wordHash{sum: h.sum*shift + next.sum, words: h.words + next.words, chars: h.chars + next.chars}
}

const wordHashBase = 1099511628211

// fnv64 is the FNV-1a hash of a word.
func fnv64(w string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(w); i++ {
		h ^= uint64(w[i])
		h *= 1099511628211
	}
	return h
}

// minRepeatedSectionChars is the length of text, spaces aside, from which a
// section that repeats an earlier one is a copy rather than a repeated
// phrase.
const minRepeatedSectionChars = 400

// dropLoneNotice empties the main content when all it holds is one short
// line of furniture: "You need to enable JavaScript to run this app." is
// what an app's HTML says before its scripts build the page, and
// "Loading…" what a shell shows until they do; neither is what the page
// is about.
func dropLoneNotice(doc *html.Node) {
	body := find(doc, func(n *html.Node) bool { return isElement(n, "body") })
	if body == nil {
		return
	}
	if textLonger(body, 2*maxNoticeChars) || find(body, func(n *html.Node) bool { return isElement(n, "img", "picture", "video", "iframe", "table", "pre") }) != nil {
		return
	}
	text := collapseSpace(textContent(body))
	if text == "" || len(text) >= maxNoticeChars || !isBoilerplatePhrase(text, false) {
		return
	}
	for c := body.FirstChild; c != nil; c = body.FirstChild {
		body.RemoveChild(c)
	}
}

// textLonger reports whether n holds more than limit bytes of text, and
// stops counting there.
func textLonger(n *html.Node, limit int) bool {
	total := 0
	var walk func(n *html.Node) bool
	walk = func(n *html.Node) bool {
		if n.Type == html.TextNode {
			total += len(n.Data)
			return total > limit
		}
		if neverText(n) {
			return false
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if walk(c) {
				return true
			}
		}
		return false
	}
	return walk(n)
}

// maxNoticeChars is the length of text from which main content is more
// than a notice.
const maxNoticeChars = 120
