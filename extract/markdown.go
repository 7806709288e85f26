package extract

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/JohannesKaufmann/html-to-markdown/v2/converter"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/base"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/commonmark"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/strikethrough"
	"github.com/JohannesKaufmann/html-to-markdown/v2/plugin/table"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// newMarkdownConverter sets up html-to-markdown for readers that are
// language models as often as people: GitHub-flavoured output (ATX
// headings, fenced code with the language taken from class="language-x" or
// "lang-x", pipe tables, ~~strikethrough~~), and tables that stay tables:
//
//   - a cell with line breaks in it keeps them as <br>, which GitHub
//     renders, instead of the whole table falling apart into paragraphs;
//   - a table without a header row gets its first row as the header, since
//     markdown has no table without one;
//   - cells that span rows or columns arrive already expanded (see
//     expandTableSpans), because the plugin's own expansion has no limits;
//   - cells are padded by one space, not aligned into columns: alignment
//     costs tokens on wide tables and is wrong for CJK text anyway.
//
// The comment html-to-markdown puts between two adjacent lists is left out:
// it is noise to a reader, and the rare pair of lists that then reads as
// one is the lesser harm.
func newMarkdownConverter() *converter.Converter {
	return converter.NewConverter(converter.WithPlugins(
		base.NewBasePlugin(),
		commonmark.NewCommonmarkPlugin(
			commonmark.WithHeadingStyle(commonmark.HeadingStyleATX),
			commonmark.WithCodeBlockFence("```"),
			commonmark.WithListEndComment(false),
			// A link whose javascript: href cleaning removed is just text.
			commonmark.WithLinkEmptyHrefBehavior(commonmark.LinkBehaviorSkip),
		),
		table.NewTablePlugin(
			table.WithNewlineBehavior(table.NewlineBehaviorPreserve),
			table.WithHeaderPromotion(true),
			table.WithCellPaddingBehavior(table.CellPaddingBehaviorMinimal),
			table.WithSkipEmptyRows(true),
		),
		strikethrough.NewStrikethroughPlugin(),
	))
}

// convertMarkdown converts the cleaned and pruned document. URLs in it are
// already absolute (or deliberately left relative), so the converter gets no
// domain of its own.
func (e *Extractor) convertMarkdown(doc *html.Node, resolve resolver) (md string, err error) {
	prepareMarkdown(doc, resolve)
	// The converter is a third-party tree walker; if some input makes it
	// panic, that should cost one request its markdown, not the server its
	// process. Fuzzing keeps this path cold.
	defer func() {
		if p := recover(); p != nil {
			md, err = "", fmt.Errorf("markdown: converter panicked: %v", p)
		}
	}()
	out, err := e.markdown.ConvertNode(doc)
	if err != nil {
		return "", fmt.Errorf("markdown: %w", err)
	}
	return tidyMarkdown(string(out)), nil
}

// prepareMarkdown adjusts the tree where the converter's output would be
// wrong or useless for a reader:
//
//   - images with a data: src (see inlineData);
//   - a table's caption comes out after the table; it is moved in front,
//     where a browser shows it;
//   - block content inside a table cell makes the table plugin give up on
//     the whole table, so cells are flattened: list items become lines
//     ("• item" or "1. item", separated by <br>), headings bold text,
//     quotes their content, preformatted text inline code; rules go;
//   - a link with no text (an icon) would be "[](url)"; it gets its
//     aria-label or title as text;
//   - the converter merges a bold element with an italic one right after
//     it (<b>a</b><i>b</i> would become **ab**); an empty text node
//     between them keeps them apart;
//   - the converter reads a code block's language only from a
//     "language-x" or "lang-x" class on <pre> or <code>; highlighters
//     put it elsewhere (see codeLanguage), from where it is copied;
//   - a definition list would come out as paragraphs, its terms no
//     different from their definitions; see definitionList.
func prepareMarkdown(doc *html.Node, resolve resolver) {
	var images, captions, cellBlocks, emptyLinks, emphasis, pres, lists []*html.Node
	var walk func(n *html.Node, inCell bool)
	walk = func(n *html.Node, inCell bool) {
		switch {
		case isElement(n, "img"):
			images = append(images, n)
		case isElement(n, "caption"):
			captions = append(captions, n)
		case isElement(n, "a"):
			if linkIsEmpty(n) {
				emptyLinks = append(emptyLinks, n)
			}
		case isElement(n, "b", "strong", "i", "em"):
			if next := n.NextSibling; next != nil && isElement(next, "b", "strong", "i", "em") && isBold(n) != isBold(next) {
				emphasis = append(emphasis, n)
			}
		case inCell && isElement(n, "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
			"blockquote", "pre", "hr"):
			cellBlocks = append(cellBlocks, n)
		case isElement(n, "pre"):
			pres = append(pres, n)
		case isElement(n, "dl") && !inCell:
			lists = append(lists, n)
		}
		inCell = (inCell || isElement(n, "td", "th")) && !isElement(n, "table")
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inCell)
		}
	}
	walk(doc, false)

	for _, img := range images {
		inlineData(img, resolve)
	}
	for _, caption := range captions {
		table := caption.Parent
		if table == nil || !isElement(table, "table") || table.Parent == nil {
			continue
		}
		table.RemoveChild(caption)
		caption.Data, caption.DataAtom = "p", atom.P
		table.Parent.InsertBefore(caption, table)
	}
	// Innermost first, so that an item's nested list is flat before the
	// item itself is.
	for _, n := range slices.Backward(cellBlocks) {
		flattenCellBlock(n)
	}
	for _, n := range emphasis {
		n.Parent.InsertBefore(&html.Node{Type: html.TextNode}, n.NextSibling)
	}
	for _, pre := range pres {
		labelCodeLanguage(pre)
	}
	// Innermost first, as for cells.
	for _, dl := range slices.Backward(lists) {
		definitionList(dl)
	}
	for _, a := range emptyLinks {
		label, _ := attr(a, "aria-label")
		if collapseSpace(label) == "" {
			label, _ = attr(a, "title")
		}
		if label = collapseSpace(label); label != "" {
			a.AppendChild(&html.Node{Type: html.TextNode, Data: label})
		}
	}
	mergeText(doc, false)
}

func isBold(n *html.Node) bool { return n.Data == "b" || n.Data == "strong" }

// labelCodeLanguage gives a code block whose language the converter would
// not see a "language-x" class on its <code> (or its <pre>, when it has
// none), so that the fence says the language.
func labelCodeLanguage(pre *html.Node) {
	code := pre
	if c := onlyChildElement(pre); c != nil && isElement(c, "code") {
		code = c
	}
	if hasLanguageClass(pre) || hasLanguageClass(code) {
		return
	}
	if lang := codeLanguage(pre, code); lang != "" {
		setAttr(code, "class", strings.TrimSpace(attrOr(code, "class")+" language-"+lang))
	}
}

// hasLanguageClass reports whether n has a class the converter reads a
// language from.
func hasLanguageClass(n *html.Node) bool {
	for _, c := range strings.Fields(attrOr(n, "class")) {
		if strings.HasPrefix(c, "language-") || strings.HasPrefix(c, "lang-") {
			return true
		}
	}
	return false
}

// codeLanguage finds the language of a code block where highlighters and
// documentation generators put it: a data-lang or data-language attribute
// (on <code>, <pre> or a wrapper), GitHub's "highlight-source-x" and
// Sphinx's "highlight-x" on a wrapper, SyntaxHighlighter's "brush: x", and
// "language-x" or "lang-x" on a wrapper. "default", "text" and the like
// name no language.
func codeLanguage(pre, code *html.Node) string {
	nodes := []*html.Node{code, pre}
	for a, i := pre.Parent, 0; a != nil && i < 3 && a.Type == html.ElementNode; a, i = a.Parent, i+1 {
		nodes = append(nodes, a)
	}
	for _, n := range nodes {
		for _, key := range []string{"data-lang", "data-language", "data-code-language"} {
			if lang := languageName(attrOr(n, key)); lang != "" {
				return lang
			}
		}
		classes := strings.Fields(strings.ToLower(attrOr(n, "class")))
		for i, c := range classes {
			var lang string
			switch {
			case strings.HasPrefix(c, "highlight-source-"):
				lang = strings.TrimPrefix(c, "highlight-source-")
			case strings.HasPrefix(c, "highlight-"):
				lang = strings.TrimPrefix(c, "highlight-")
			case strings.HasPrefix(c, "language-"), strings.HasPrefix(c, "lang-"):
				lang = c[strings.IndexByte(c, '-')+1:]
			case c == "brush:" && i+1 < len(classes):
				lang = classes[i+1]
			case strings.HasPrefix(c, "brush:"):
				lang = strings.TrimPrefix(c, "brush:")
			}
			if lang = languageName(lang); lang != "" {
				return lang
			}
		}
	}
	return ""
}

// languageName is a language name fit for a fence: lower case, letters,
// digits and a few signs (c++, objective-c, f#), and not a placeholder.
func languageName(s string) string {
	s = strings.ToLower(strings.TrimRight(strings.TrimSpace(s), ";"))
	switch s {
	case "", "default", "text", "none", "plain", "plaintext", "nohighlight", "no-highlight", "auto":
		return ""
	}
	if len(s) > 20 {
		return ""
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("+-#._", r)) {
			return ""
		}
	}
	return s
}

func onlyChildElement(n *html.Node) *html.Node {
	var only *html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.ElementNode && only == nil:
			only = c
		case c.Type == html.ElementNode, c.Type == html.TextNode && strings.TrimFunc(c.Data, isSpace) != "":
			return nil
		}
	}
	return only
}

// definitionList writes a <dl> the way Markdown extensions (PHP Markdown
// Extra, Pandoc) write one: each term on a line of its own in bold, each
// of its definitions on the next line after ": ".
//
//	**Capacity**
//	: 350 ml
//
// A definition holding blocks of its own (paragraphs, lists) keeps them,
// after its ": ".
func definitionList(dl *html.Node) {
	var group *html.Node // the paragraph of the current term
	for c := dl.FirstChild; c != nil; {
		next := c.NextSibling
		switch {
		case isElement(c, "div") && find(c, func(n *html.Node) bool { return isElement(n, "dt", "dd") && n != c }) != nil:
			// Groups of a term and its definitions, as HTML allows.
			unwrap(c)
			next = dl.FirstChild
			group = nil
		case isElement(c, "dt"):
			c.Data, c.DataAtom, c.Attr = "strong", atom.Strong, nil
			group = &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
			dl.InsertBefore(group, c)
			dl.RemoveChild(c)
			group.AppendChild(c)
		case isElement(c, "dd"):
			if group == nil {
				group = &html.Node{Type: html.ElementNode, Data: "p", DataAtom: atom.P}
				dl.InsertBefore(group, c)
			} else {
				group.AppendChild(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atom.Br})
			}
			dl.RemoveChild(c)
			group.AppendChild(&html.Node{Type: html.TextNode, Data: ": "})
			if holdsBlocks(c) {
				// Blocks cannot sit in a paragraph: the definition
				// follows it, and the next one starts a new paragraph.
				c.Data, c.DataAtom, c.Attr = "div", atom.Div, nil
				dl.InsertBefore(c, group.NextSibling)
				group = nil
				break
			}
			for gc := c.FirstChild; gc != nil; gc = c.FirstChild {
				c.RemoveChild(gc)
				group.AppendChild(gc)
			}
		}
		c = next
	}
	dl.Data, dl.DataAtom, dl.Attr = "div", atom.Div, nil
}

// holdsBlocks reports whether n has block elements among its children.
func holdsBlocks(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if isBlock(c) && !isElement(c, "br", "img", "picture") {
			return true
		}
	}
	return false
}

// linkIsEmpty reports whether a shows nothing: no text and no image.
func linkIsEmpty(a *html.Node) bool {
	if collapseSpace(textContent(a)) != "" {
		return false
	}
	return find(a, func(n *html.Node) bool { return isElement(n, "img") }) == nil
}

// inlineData deals with an image whose src is a data: URL. Lazy-loading
// pages put a placeholder there and the real address in data-src (or
// data-lazy-src, data-original), which is then used. A real inline image
// would put kilobytes of base64 into the markdown, so it is replaced by its
// alt text, or dropped when it has none.
func inlineData(img *html.Node, resolve resolver) {
	src, _ := attr(img, "src")
	if cleanURL(src) != "" && scheme(src) != "data" {
		return
	}
	for _, key := range []string{"data-src", "data-lazy-src", "data-original"} {
		if lazy, _ := attr(img, key); cleanURL(lazy) != "" && scheme(lazy) != "data" {
			setAttr(img, "src", resolve.absolute(cleanURL(lazy)))
			return
		}
	}
	if cleanURL(src) == "" || img.Parent == nil {
		return // the converter skips an image without src
	}
	if alt, _ := attr(img, "alt"); collapseSpace(alt) != "" {
		img.Parent.InsertBefore(&html.Node{Type: html.TextNode, Data: collapseSpace(alt)}, img)
	}
	img.Parent.RemoveChild(img)
}

func flattenCellBlock(n *html.Node) {
	parent := n.Parent
	if parent == nil {
		return
	}
	switch n.Data {
	case "hr":
		parent.RemoveChild(n)
	case "pre":
		n.Data, n.DataAtom, n.Attr = "code", atom.Code, nil
	case "h1", "h2", "h3", "h4", "h5", "h6":
		n.Data, n.DataAtom, n.Attr = "strong", atom.Strong, nil
		parent.InsertBefore(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atom.Br}, n.NextSibling)
	case "li":
		// Items are flattened last to first, so the ones before this one
		// are still list items.
		n.InsertBefore(&html.Node{Type: html.TextNode, Data: itemMarker(n)}, n.FirstChild)
		for prev := n.PrevSibling; prev != nil; prev = prev.PrevSibling {
			if isElement(prev, "li") {
				n.InsertBefore(&html.Node{Type: html.ElementNode, Data: "br", DataAtom: atom.Br}, n.FirstChild)
				break
			}
		}
		unwrap(n)
	case "ul", "ol", "blockquote":
		unwrap(n)
	}
}

// itemMarker is what a list item in a table cell starts with: its number
// in an ordered list, a bullet otherwise.
func itemMarker(li *html.Node) string {
	list := li.Parent
	if !isElement(list, "ol") {
		return "• "
	}
	number := 1
	if start, err := strconv.Atoi(strings.TrimSpace(attrOr(list, "start"))); err == nil {
		number = start
	}
	for p := li.PrevSibling; p != nil; p = p.PrevSibling {
		if isElement(p, "li") {
			number++
		}
	}
	return strconv.Itoa(number) + ". "
}

// unwrap replaces n by its children.
func unwrap(n *html.Node) {
	for c := n.FirstChild; c != nil; c = n.FirstChild {
		n.RemoveChild(c)
		n.Parent.InsertBefore(c, n)
	}
	n.Parent.RemoveChild(n)
}

// tidyMarkdown smooths what the converter leaves: lines of nothing but
// spaces or quote markers lose their trailing spaces, blank lines never come
// two in a row, a nested list follows its item without a blank line (which
// would make the whole list "loose"), and table rows get pipes inside code
// spans escaped — GitHub splits cells at them otherwise — and no hard-break
// spaces before a <br />. Fenced code is left exactly as it is, but a
// fence with nothing inside (an empty <pre>, such as the page a browser
// makes of an empty text body) is dropped: "```\n\n```" is not content.
func tidyMarkdown(md string) string {
	lines := strings.Split(md, "\n")
	out := lines[:0]
	fence, opened := "", 0
	for _, line := range lines {
		trimmed := strings.TrimLeft(line, " ")
		if fence != "" {
			if closing := strings.TrimRight(trimmed, " "); strings.HasPrefix(closing, fence) && strings.Trim(closing, fence[:1]) == "" {
				fence = ""
				if blank(out[opened+1:]) {
					out = out[:opened]
					continue
				}
			}
			out = append(out, line)
			continue
		}
		if strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~") {
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, trimmed[:1]))]
			opened = len(out)
			out = append(out, line)
			continue
		}
		switch {
		case strings.TrimSpace(line) == "":
			line = ""
		case strings.Trim(line, "> ") == "":
			line = strings.TrimRight(line, " ")
		case strings.HasPrefix(trimmed, "|"):
			line = tidyTableRow(line)
		}
		if line == "" && (len(out) == 0 || out[len(out)-1] == "") {
			continue
		}
		if indent := len(line) - len(trimmed); indent > 0 && startsList(trimmed) && len(out) >= 2 && out[len(out)-1] == "" {
			above := out[len(out)-2]
			if len(above)-len(strings.TrimLeft(above, " ")) < indent {
				out = out[:len(out)-1]
			}
		}
		out = append(out, line)
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}

// blank reports whether every line is empty or spaces.
func blank(lines []string) bool {
	for _, l := range lines {
		if strings.TrimSpace(l) != "" {
			return false
		}
	}
	return true
}

// startsList reports whether line begins a list that may interrupt a
// paragraph: a bullet, or an ordered list starting at 1.
func startsList(line string) bool {
	if strings.HasPrefix(line, "- ") || strings.HasPrefix(line, "* ") || strings.HasPrefix(line, "+ ") {
		return true
	}
	digits := strings.TrimLeft(line, "0123456789")
	number := line[:len(line)-len(digits)]
	return strings.TrimLeft(number, "0") == "1" && (strings.HasPrefix(digits, ". ") || strings.HasPrefix(digits, ") "))
}

func tidyTableRow(line string) string {
	line = strings.ReplaceAll(line, "  <br />", "<br />")
	if !strings.Contains(line, "`") {
		return line
	}
	var b strings.Builder
	for i := 0; i < len(line); {
		switch line[i] {
		case '\\':
			end := min(i+2, len(line))
			b.WriteString(line[i:end])
			i = end
			continue
		case '`':
			run := len(line[i:]) - len(strings.TrimLeft(line[i:], "`"))
			closing := findBacktickRun(line, i+run, run)
			if closing < 0 {
				b.WriteString(line[i : i+run])
				i += run
				continue
			}
			b.WriteString(line[i : i+run])
			code := line[i+run : closing]
			for j := 0; j < len(code); j++ {
				if code[j] == '|' && (j == 0 || code[j-1] != '\\') {
					b.WriteByte('\\')
				}
				b.WriteByte(code[j])
			}
			b.WriteString(line[closing : closing+run])
			i = closing + run
			continue
		}
		b.WriteByte(line[i])
		i++
	}
	return b.String()
}

// findBacktickRun returns the index of the next run of exactly n backticks
// at or after from, or -1.
func findBacktickRun(s string, from, n int) int {
	for i := from; i < len(s); {
		if s[i] != '`' {
			i++
			continue
		}
		run := len(s[i:]) - len(strings.TrimLeft(s[i:], "`"))
		if run == n {
			return i
		}
		i += run
	}
	return -1
}
