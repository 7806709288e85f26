package extract

import (
	"strings"

	"golang.org/x/net/html"
)

// showHiddenContent shows what is hidden only until someone acts: the
// panels of tab widgets and disclosures (accordions, "read more"), which
// a reader opens with a click, and a wrapper hidden around most of the
// page, which the page's script shows once it has loaded. Both are the
// page's content, so their hiding markup (the hidden attribute,
// aria-hidden, an inline display:none) is removed and they are taken out
// of unseen, the elements the browser saw hidden. Everything else that is
// hidden stays hidden: text no one can see is no part of a page, and a
// classic carrier of instructions meant for models.
//
// A panel is an element with role="tabpanel", one whose id an
// aria-controls of a tab or of a button with aria-expanded names, or a
// hidden pane among siblings alike that are nothing else, one of them
// shown (isHiddenPane).
func showHiddenContent(doc *html.Node, unseen unseenByLayout) {
	body := find(doc, func(n *html.Node) bool { return isElement(n, "body") })
	if body == nil {
		return
	}
	controlled := map[string]bool{}
	walkElements(body, func(n *html.Node) bool {
		if ids, ok := attr(n, "aria-controls"); ok {
			_, expands := attr(n, "aria-expanded")
			if expands || strings.EqualFold(attrOr(n, "role"), "tab") {
				for _, id := range strings.Fields(ids) {
					controlled[id] = true
				}
			}
		}
		return true
	})
	total := textOutsideFurniture(body)
	main, mainTotal := (*html.Node)(nil), 0
	walkElements(body, func(n *html.Node) bool {
		if neverText(n) {
			return false
		}
		if main == nil && isMainLandmark(n) {
			main = n
			mainTotal = textOutsideFurniture(n)
		}
		if !hidden(n) && !unseen[n] {
			return true
		}
		panel := isPanel(n, controlled) || wrapsPanel(n, controlled) || isHiddenPane(n, unseen) || answersQuestion(n, unseen)
		if !panel && !unseen[n] {
			// A wrapper that script shows: most of the page, or of its
			// main landmark, inside it (a shop's product behind a
			// "lockdown" wrapper in <main>, a menu-heavy page whose
			// content is a small share of all its text). A dialog or
			// pop-up is not such a wrapper, however long.
			chars := textOutsideFurniture(n)
			inMain := main != nil && contains(main, n) && chars*2 > mainTotal
			if boilerplate, _ := nameKind(n); chars*2 <= total && !inMain || boilerplate || chars < minShownWrapperChars {
				return false
			}
		} else if !panel {
			return false
		}
		show(n)
		delete(unseen, n)
		return true
	})
}

// minShownWrapperChars is the length of text below which a hidden
// block is a line, not a wrapper that script shows, however little else
// the page holds: a skip link hidden at the top of a page whose content
// its scripts draw.
const minShownWrapperChars = 50

// isPanel reports whether n is a tab panel or the element a disclosure's
// button controls.
func isPanel(n *html.Node, controlled map[string]bool) bool {
	return strings.EqualFold(strings.TrimSpace(attrOr(n, "role")), "tabpanel") || controlled[attrOr(n, "id")]
}

// isHiddenPane reports whether n is a hidden pane of a set of tabs or
// slides marked up without ARIA roles: its parent holds nothing but two
// or more elements of n's tag and class, at least one of them shown (the
// pane that is open) and n hidden until its tab is clicked. A shop's
// specifications wait in such a pane beside its overview.
func isHiddenPane(n *html.Node, unseen unseenByLayout) bool {
	p := n.Parent
	if p == nil || !hidden(n) {
		return false
	}
	class := attrOr(n, "class")
	if strings.TrimSpace(class) == "" {
		return false
	}
	panes, shown := 0, 0
	for c := p.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
			return false
		case c.Type != html.ElementNode || neverText(c):
		case c.Data != n.Data || attrOr(c, "class") != class:
			return false
		default:
			panes++
			if !hidden(c) && !unseen[c] {
				shown++
			}
		}
	}
	return panes >= 2 && shown >= 1
}

// answersQuestion reports whether n is the hidden answer of a question
// shown just before it, an FAQ's accordion marked up without ARIA: its
// previous element sibling is visible and its text, a line, asks a
// question. A click on the question opens the answer.
func answersQuestion(n *html.Node, unseen unseenByLayout) bool {
	if !hidden(n) {
		return false
	}
	q := n.PrevSibling
	for q != nil && (q.Type != html.ElementNode || neverText(q)) {
		if q.Type == html.TextNode && strings.TrimSpace(q.Data) != "" || isElement(q, "noscript") {
			// A <noscript> between them: the hidden block is the
			// notice scripts show in its stead ("You are using an
			// out of date browser"), no answer.
			return false
		}
		q = q.PrevSibling
	}
	if q == nil || hidden(q) || unseen[q] {
		return false
	}
	text := shortText(q) // "" when longer than a question
	return len(text) <= maxQuestionChars && strings.HasSuffix(text, "?")
}

// maxQuestionChars is the length beyond which a block that ends with a
// question mark is a paragraph, not the question of an FAQ.
const maxQuestionChars = 300

// wrapsPanel reports whether n is a wrapper around one panel and nothing
// else: widget libraries collapse a disclosure by hiding a wrapper of
// their own around the panel its button names (Chakra's "collapse", a
// Bootstrap-like "collapse" div).
func wrapsPanel(n *html.Node, controlled map[string]bool) bool {
	for range 3 {
		var only *html.Node
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode && strings.TrimSpace(c.Data) != "":
				return false
			case c.Type != html.ElementNode || neverText(c):
			case only != nil:
				return false
			default:
				only = c
			}
		}
		if only == nil {
			return false
		}
		if isPanel(only, controlled) {
			return true
		}
		n = only
	}
	return false
}

// textOutsideFurniture counts the characters of n's text outside its navigation,
// banners, asides and footers: a page's menus can hold more text than the
// content that script shows.
func textOutsideFurniture(n *html.Node) int {
	chars := 0
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch {
			case c.Type == html.TextNode:
				k, _ := countText(c.Data)
				chars += k
			case c.Type != html.ElementNode || neverText(c):
			case isElement(c, "nav", "header", "footer", "aside", "menu"):
			case landmarkRoles[strings.ToLower(strings.TrimSpace(attrOr(c, "role")))]:
			default:
				walk(c)
			}
		}
	}
	walk(n)
	return chars
}

// isMainLandmark reports whether n is the page's main landmark: <main> or
// role="main".
func isMainLandmark(n *html.Node) bool {
	return isElement(n, "main") || strings.EqualFold(strings.TrimSpace(attrOr(n, "role")), "main")
}

// show removes the markup that hides n.
func show(n *html.Node) {
	kept := n.Attr[:0]
	for _, a := range n.Attr {
		switch {
		case a.Namespace != "":
		case a.Key == "hidden", a.Key == "aria-hidden" && strings.EqualFold(strings.TrimSpace(a.Val), "true"):
			continue
		case a.Key == "style":
			a.Val = withoutHiding(a.Val)
		}
		kept = append(kept, a)
	}
	n.Attr = kept
}

// withoutHiding drops the declarations of an inline style that hide its
// element.
func withoutHiding(style string) string {
	var kept []string
	for _, decl := range strings.Split(style, ";") {
		if hidesElement(decl) || strings.Contains(strings.ReplaceAll(strings.ToLower(decl), " ", ""), "font-size:0") {
			continue
		}
		kept = append(kept, decl)
	}
	return strings.Join(kept, ";")
}
