package extract

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Bounds of the outline format.
const (
	// maxOutlineLines is how many elements an outline lists; the rest
	// are counted in a last line.
	maxOutlineLines = 5000
	// maxOutlineName is how many characters of a name are kept.
	maxOutlineName = 100
)

// readOutline writes the outline format: the parts of a page an agent acts
// on or finds its way by, one per line, indented under the landmark that
// holds them. Each line is
//
//   - ROLE[DETAIL] "NAME" -> URL key=value … [REF]
//
// where only ROLE and REF are always there:
//
//   - landmarks, which hold the lines indented under them: banner
//     (a page's header), navigation, main, complementary (aside),
//     contentinfo (a page's footer), search, form, dialog and region (a
//     named section), and elements with those ARIA roles; NAME is the
//     landmark's label, when it has one;
//   - heading[LEVEL] "text";
//   - link "text" -> absolute URL;
//   - button "label";
//   - form fields: input[TYPE], select and textarea, with their label
//     (a <label>, aria-label or aria-labelledby, or title) as NAME, then
//     name=, placeholder=, value= and checked when set; hidden inputs are
//     left out;
//   - img "alt", for images that have alt text (decorative images, and
//     images inside links, whose alt names the link, are left out).
//
// Names and values are double-quoted with Go's escapes (\" and \\ inside),
// whitespace collapsed, cut at 100 characters with "…". REF is e1, e2, …
// in document order, so the same document always gets the same refs.
// Elements hidden by markup (the hidden attribute, aria-hidden, an inline
// display:none or visibility:hidden) are left out with everything in them.
// A page with more than 5,000 such elements is cut there, with a last line
// saying how many were left out; maxChars cuts the outline like text.
func readOutline(doc *html.Node, resolve resolver, unseen unseenByLayout, maxChars int) string {
	o := &outliner{resolve: resolve, unseen: unseen, byID: make(map[string]*html.Node), labelFor: make(map[string]*html.Node)}
	walkElements(doc, func(n *html.Node) bool {
		if id := attrOr(n, "id"); id != "" {
			if _, dup := o.byID[id]; !dup {
				o.byID[id] = n
			}
		}
		if isElement(n, "label") {
			if id := attrOr(n, "for"); id != "" {
				if _, dup := o.labelFor[id]; !dup {
					o.labelFor[id] = n
				}
			}
		}
		return true
	})
	o.walk(doc, 0)
	if o.left > 0 {
		fmt.Fprintf(&o.out, "[%d more elements left out]\n", o.left)
	}
	return cutToBudget(strings.TrimRight(o.out.String(), "\n"), maxChars, false)
}

type outliner struct {
	out      strings.Builder
	resolve  resolver
	unseen   unseenByLayout
	byID     map[string]*html.Node
	labelFor map[string]*html.Node
	refs     int // refs handed out
	left     int // elements past maxOutlineLines
}

// landmarkRole maps the elements that are landmarks by their tag (or,
// for header and footer, by their tag and place) to their role.
func landmarkRole(n *html.Node) string {
	if n.Namespace != "" {
		return ""
	}
	switch n.Data {
	case "nav":
		return "navigation"
	case "main":
		return "main"
	case "aside":
		return "complementary"
	case "form":
		return "form"
	case "search":
		return "search"
	case "dialog":
		return "dialog"
	case "section":
		if attrOr(n, "aria-label") != "" || attrOr(n, "aria-labelledby") != "" {
			return "region"
		}
	case "header", "footer":
		// Only a page's own header and footer are landmarks, not those
		// of an article or a section.
		for p := n.Parent; p != nil; p = p.Parent {
			if isElement(p, "article", "aside", "main", "nav", "section") {
				return ""
			}
		}
		if n.Data == "header" {
			return "banner"
		}
		return "contentinfo"
	}
	return ""
}

var ariaLandmarks = map[string]bool{
	"banner": true, "navigation": true, "main": true, "complementary": true, "contentinfo": true,
	"form": true, "search": true, "region": true, "dialog": true, "alertdialog": true,
}

var ariaControls = map[string]bool{
	"button": true, "link": true, "heading": true, "img": true, "textbox": true, "searchbox": true,
	"checkbox": true, "radio": true, "combobox": true, "switch": true, "slider": true, "tab": true,
	"menuitem": true, "option": true,
}

func (o *outliner) walk(n *html.Node, depth int) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || neverText(c) || o.unseen.hides(c) {
			continue
		}
		if c.Namespace != "" {
			continue // SVG and MathML hold no landmarks or controls an agent uses
		}
		role := strings.ToLower(strings.TrimSpace(strings.SplitN(attrOr(c, "role"), " ", 2)[0]))
		switch {
		case role == "presentation" || role == "none":
			o.walk(c, depth)
		case ariaLandmarks[role]:
			o.line(depth, role, "", o.labelOf(c), "")
			o.walk(c, depth+1)
		case ariaControls[role]:
			detail := ""
			if role == "heading" {
				detail = attrOr(c, "aria-level")
			}
			o.line(depth, role, detail, o.nameOf(c), "")
		default:
			if landmark := landmarkRole(c); landmark != "" {
				o.line(depth, landmark, "", o.labelOf(c), "")
				o.walk(c, depth+1)
			} else if !o.control(c, depth) {
				o.walk(c, depth)
			}
		}
	}
}

// control writes the line of n if it is a heading, link, button, form
// field or image, and reports whether it was one (its content is then not
// walked: a link's or button's content is its name).
func (o *outliner) control(n *html.Node, depth int) bool {
	switch n.Data {
	case "h1", "h2", "h3", "h4", "h5", "h6":
		o.line(depth, "heading", n.Data[1:], o.nameOf(n), "")
	case "a":
		href, ok := attr(n, "href")
		if !ok {
			return false
		}
		target := ""
		if s := scheme(href); s != "javascript" && s != "vbscript" && s != "data" {
			target = " -> " + o.resolve.absolute(cleanURL(href))
		}
		o.line(depth, "link", "", o.nameOf(n), target)
	case "button":
		o.line(depth, "button", "", o.nameOf(n), "")
	case "img":
		alt := collapseSpace(attrOr(n, "alt"))
		if alt == "" {
			return true
		}
		o.line(depth, "img", "", alt, "")
	case "input":
		typ := strings.ToLower(strings.TrimSpace(attrOr(n, "type")))
		if typ == "" {
			typ = "text"
		}
		switch typ {
		case "submit", "reset", "button", "image":
			name := collapseSpace(attrOr(n, "value"))
			if name == "" {
				name = o.fieldLabel(n)
			}
			if name == "" && typ == "image" {
				name = collapseSpace(attrOr(n, "alt"))
			}
			if name == "" && typ != "button" {
				name = typ
			}
			o.line(depth, "button", "", name, "")
			return true
		}
		o.line(depth, "input", typ, o.fieldLabel(n), fieldDetails(n, typ))
	case "select", "textarea":
		o.line(depth, n.Data, "", o.fieldLabel(n), fieldDetails(n, n.Data))
	default:
		return false
	}
	return true
}

// fieldDetails are the name, placeholder, value and checked state of a form
// field, as key=value words.
func fieldDetails(n *html.Node, typ string) string {
	var b strings.Builder
	if v := collapseSpace(attrOr(n, "name")); v != "" {
		b.WriteString(" name=" + quote(v))
	}
	if v := collapseSpace(attrOr(n, "placeholder")); v != "" {
		b.WriteString(" placeholder=" + quote(v))
	}
	switch typ {
	case "checkbox", "radio":
		if _, ok := attr(n, "checked"); ok {
			b.WriteString(" checked")
		}
	case "password", "select", "textarea":
	default:
		if v := collapseSpace(attrOr(n, "value")); v != "" {
			b.WriteString(" value=" + quote(v))
		}
	}
	if _, ok := attr(n, "required"); ok {
		b.WriteString(" required")
	}
	if _, ok := attr(n, "disabled"); ok {
		b.WriteString(" disabled")
	}
	return b.String()
}

// line writes one element of the outline.
func (o *outliner) line(depth int, role, detail, name, rest string) {
	if o.refs >= maxOutlineLines {
		o.left++
		return
	}
	o.refs++
	o.out.WriteString(strings.Repeat("  ", depth))
	o.out.WriteString("- ")
	o.out.WriteString(role)
	if detail != "" {
		o.out.WriteString("[" + detail + "]")
	}
	if name != "" {
		o.out.WriteString(" " + quote(name))
	}
	o.out.WriteString(rest)
	fmt.Fprintf(&o.out, " [e%d]\n", o.refs)
}

// labelOf is a landmark's own label: aria-label or aria-labelledby.
func (o *outliner) labelOf(n *html.Node) string {
	if v := collapseSpace(attrOr(n, "aria-label")); v != "" {
		return v
	}
	return o.labelledBy(n)
}

func (o *outliner) labelledBy(n *html.Node) string {
	var parts []string
	ids := strings.Fields(attrOr(n, "aria-labelledby"))
	// A few ids name anything real; thousands would read the page again
	// for each.
	for _, id := range ids[:min(len(ids), 8)] {
		if ref := o.byID[id]; ref != nil {
			if t := collapseSpace(textContent(ref)); t != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, " ")
}

// nameOf is what a heading, link or button is called: aria-label,
// aria-labelledby, else its text (or its images' alt text), else title.
func (o *outliner) nameOf(n *html.Node) string {
	if v := o.labelOf(n); v != "" {
		return v
	}
	return linkText(n)
}

// fieldLabel is what a form field is called: aria-label, aria-labelledby,
// a <label for> it, the <label> around it, else its title.
func (o *outliner) fieldLabel(n *html.Node) string {
	if v := o.labelOf(n); v != "" {
		return v
	}
	if id := attrOr(n, "id"); id != "" {
		if l := o.labelFor[id]; l != nil {
			if t := collapseSpace(textContent(l)); t != "" {
				return t
			}
		}
	}
	for p := n.Parent; p != nil; p = p.Parent {
		if isElement(p, "label") {
			if t := collapseSpace(textContent(p)); t != "" {
				return t
			}
			break
		}
	}
	return collapseSpace(attrOr(n, "title"))
}

// quote double-quotes s with Go's escapes, cut to maxOutlineName characters.
func quote(s string) string {
	if utf8.RuneCountInString(s) > maxOutlineName {
		s = string([]rune(s)[:maxOutlineName-1]) + "…"
	}
	return strconv.Quote(s)
}
