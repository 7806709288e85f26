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
//     between them keeps them apart.
func prepareMarkdown(doc *html.Node, resolve resolver) {
	var images, captions, cellBlocks, emptyLinks, emphasis []*html.Node
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
