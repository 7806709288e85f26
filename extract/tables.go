package extract

import (
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/html"
)

// Limits on table spans. HTML allows colspan up to 1000 and rowspan up to
// 65534; the markdown table plugin expands spans without any limit, so one
// <td rowspan=200000 colspan=300> would become hundreds of megabytes.
const (
	maxColspan = 1000
	// maxSpanCells bounds the cells all of a document's spans may add.
	// Real tables stay far below it; a table that would pass it keeps its
	// cells unexpanded.
	maxSpanCells = 50_000
	// Mirrored cells are copies; only small ones (a label, a number) are
	// copied, larger ones leave an empty cell.
	maxMirrorNodes = 32
	maxMirrorText  = 200
)

// expandTableSpans rewrites every table so that each row has one cell per
// column and no cell spans anything: a cell spanning rows is repeated in
// each row below it (when it is small), every other covered position gets
// an empty cell. Plain text then lines its tabs up, and the markdown table
// plugin gets tables it can render without spans. As in a browser, a
// rowspan ends with its row group (thead, tbody, tfoot) and rowspan="0"
// runs to the end of it.
func expandTableSpans(doc *html.Node) {
	var tables []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if isElement(n, "table") {
			tables = append(tables, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)

	budget := maxSpanCells
	for _, table := range tables {
		groups := rowGroups(table)
		// Two cheap passes before the tree changes: the cells the spans
		// claim (which also bounds the work of the second pass), then the
		// cells the layout would really add, gaps included.
		claimed := 0
		for _, rows := range groups {
			for r, tr := range rows {
				for _, cell := range cellsOf(tr) {
					colspan, rowspan := spans(cell, len(rows)-r)
					claimed += colspan*rowspan - 1
				}
			}
		}
		added := 0
		if claimed <= budget {
			for _, rows := range groups {
				added += expandGroup(rows, false)
			}
		}
		if claimed > budget || added > budget {
			for _, rows := range groups {
				for _, tr := range rows {
					for _, cell := range cellsOf(tr) {
						removeSpans(cell)
					}
				}
			}
			continue
		}
		budget -= added
		for _, rows := range groups {
			expandGroup(rows, true)
		}
	}
}

// rowGroups returns the rows of table (not of tables nested in it), one
// list per row group. The parser always wraps rows in a tbody; rows right
// under the table are taken as a group of their own all the same.
func rowGroups(table *html.Node) [][]*html.Node {
	var groups [][]*html.Node
	var loose []*html.Node
	for c := table.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case isElement(c, "tr"):
			loose = append(loose, c)
		case isElement(c, "thead", "tbody", "tfoot"):
			var rows []*html.Node
			for r := c.FirstChild; r != nil; r = r.NextSibling {
				if isElement(r, "tr") {
					rows = append(rows, r)
				}
			}
			groups = append(groups, rows)
		}
	}
	if len(loose) > 0 {
		groups = append(groups, loose)
	}
	return groups
}

func cellsOf(tr *html.Node) []*html.Node {
	var cells []*html.Node
	for c := tr.FirstChild; c != nil; c = c.NextSibling {
		if isElement(c, "td", "th") {
			cells = append(cells, c)
		}
	}
	return cells
}

// spans reads a cell's colspan and rowspan the way a browser does:
// missing, unparsable or zero colspan is 1; rowspan 0 means the rest of the
// group, and no rowspan reaches past it.
func spans(cell *html.Node, rowsLeft int) (colspan, rowspan int) {
	colspan, rowspan = 1, 1
	if v, ok := attr(cell, "colspan"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n > 0 {
			colspan = min(n, maxColspan)
		}
	}
	if v, ok := attr(cell, "rowspan"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
			rowspan = n
			if n == 0 {
				rowspan = rowsLeft
			}
		}
	}
	return colspan, max(1, min(rowspan, rowsLeft))
}

func removeSpans(cell *html.Node) {
	cell.Attr = slices.DeleteFunc(cell.Attr, func(a html.Attribute) bool {
		return a.Namespace == "" && (a.Key == "colspan" || a.Key == "rowspan")
	})
}

// span is a cell from an earlier row that covers columns [col, col+width)
// of every row before until.
type span struct {
	col, width, until int
	cell              *html.Node
}

// expandGroup lays out one row group. With apply false it only counts the
// cells it would add, so that the caller can check its budget before the
// tree changes; the count is arithmetic, not a loop per cell.
func expandGroup(rows []*html.Node, apply bool) (added int) {
	var active []span
	for r, tr := range rows {
		active = slices.DeleteFunc(active, func(s span) bool { return s.until <= r })
		slices.SortStableFunc(active, func(a, b span) int { return a.col - b.col })

		col, next := 0, 0
		// cover adds the cells of span s from col on, before ref (nil: at
		// the end of the row), after empty cells up to the span's start.
		cover := func(s span, ref *html.Node) {
			if s.col+s.width <= col {
				return // overlapped by a wider cell of this row
			}
			if !apply {
				added += s.col + s.width - col
				col = s.col + s.width
				return
			}
			for ; col < s.col+s.width; col++ {
				if col == s.col {
					tr.InsertBefore(mirrorCell(s.cell), ref)
				} else {
					tr.InsertBefore(emptyCell(s.cell), ref)
				}
			}
		}
		var started []span
		for _, cell := range cellsOf(tr) {
			// Cells from above that cover this column push the cell right.
			for ; next < len(active) && active[next].col <= col; next++ {
				cover(active[next], cell)
			}
			colspan, rowspan := spans(cell, len(rows)-r)
			added += colspan - 1
			if apply {
				removeSpans(cell)
				after := cell.NextSibling
				for range colspan - 1 {
					tr.InsertBefore(emptyCell(cell), after)
				}
			}
			if rowspan > 1 {
				started = append(started, span{col: col, width: colspan, until: r + rowspan, cell: cell})
			}
			col += colspan
		}
		for ; next < len(active); next++ {
			cover(active[next], nil)
		}
		active = append(active, started...)
	}
	return added
}

// emptyCell is a cell of the same kind (td or th) as like, with nothing in it.
func emptyCell(like *html.Node) *html.Node {
	return &html.Node{Type: html.ElementNode, Data: like.Data, DataAtom: like.DataAtom}
}

// mirrorCell repeats a small cell in a row it spans, so that the row reads
// on its own ("North | Gadgets | 830" rather than " | Gadgets | 830").
func mirrorCell(cell *html.Node) *html.Node {
	nodes, text := 0, 0
	small := true
	var measure func(*html.Node)
	measure = func(n *html.Node) {
		nodes++
		text += len(n.Data)
		if nodes > maxMirrorNodes || text > maxMirrorText {
			small = false
			return
		}
		for c := n.FirstChild; c != nil && small; c = c.NextSibling {
			measure(c)
		}
	}
	measure(cell)
	if !small {
		return emptyCell(cell)
	}
	return cloneTree(cell)
}

func cloneTree(n *html.Node) *html.Node {
	c := &html.Node{Type: n.Type, Data: n.Data, DataAtom: n.DataAtom, Namespace: n.Namespace, Attr: slices.Clone(n.Attr)}
	for child := n.FirstChild; child != nil; child = child.NextSibling {
		c.AppendChild(cloneTree(child))
	}
	return c
}
