package session

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Snapshot is the accessibility outline of a session's active tab, as the
// Browser read it.
type Snapshot struct {
	URL   string
	Title string
	// Document names the document the outline is of: it changes when the
	// active tab loads another page or another tab becomes active, and not
	// when the page changes itself. Replies diff against the last snapshot
	// only while it stays the same.
	Document string
	Nodes    []*Node
	// Left is how many elements were left out past the Browser's bound.
	Left int
}

// Node is one element of a snapshot: its accessibility role and name, and
// the ref an action may target it by (empty for text).
type Node struct {
	Ref   string
	Role  string
	Name  string
	Value string
	// Props are its states and attributes as the outline shows them:
	// "checked", "disabled", "expanded", "selected", "required", "level=2".
	Props    []string
	Children []*Node
}

// maxNameLength is how much of a name or value one line shows.
const maxNameLength = 200

// lines writes the outline, one element a line, indented two spaces a
// level, as Playwright's snapshots read:
//
//   - heading "Sign in" [level=1] [ref=e2]
//   - textbox "Password" [ref=e5]: «secret:PASSWORD»
//   - text: Welcome back
func (s *Snapshot) lines(r redactor) []string {
	var out []string
	var walk func(nodes []*Node, depth int)
	walk = func(nodes []*Node, depth int) {
		for _, n := range nodes {
			out = append(out, strings.Repeat("  ", depth)+n.line(r))
			walk(n.Children, depth+1)
		}
	}
	walk(s.Nodes, 0)
	if s.Left > 0 {
		out = append(out, fmt.Sprintf("[%d more elements left out]", s.Left))
	}
	return out
}

func (n *Node) line(r redactor) string {
	var b strings.Builder
	b.WriteString("- ")
	if n.Role == "text" && n.Ref == "" {
		b.WriteString("text: ")
		b.WriteString(clip(r.String(n.Name)))
		return b.String()
	}
	b.WriteString(n.Role)
	if n.Name != "" {
		b.WriteString(` "`)
		b.WriteString(strings.ReplaceAll(clip(r.String(n.Name)), `"`, `\"`))
		b.WriteString(`"`)
	}
	for _, p := range n.Props {
		b.WriteString(" [" + p + "]")
	}
	if n.Ref != "" {
		b.WriteString(" [ref=" + n.Ref + "]")
	}
	if n.Value != "" {
		b.WriteString(": ")
		b.WriteString(clip(r.String(n.Value)))
	}
	return b.String()
}

// clip collapses whitespace and cuts s at maxNameLength characters.
func clip(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxNameLength {
		return s
	}
	return string([]rune(s)[:maxNameLength]) + "…"
}

// diff writes what changed from old to new: each changed line with "+ "
// (added) or "- " (removed) in front, under the nearest unchanged line
// that holds it (shown with "  "), so that a change reads in its place.
// It returns "" when nothing changed.
func diff(old, new []string) string {
	// Most changes are local: cut the common head and tail, and compare
	// only what lies between.
	head := 0
	for head < len(old) && head < len(new) && old[head] == new[head] {
		head++
	}
	tail := 0
	for tail < len(old)-head && tail < len(new)-head && old[len(old)-1-tail] == new[len(new)-1-tail] {
		tail++
	}
	a, b := old[head:len(old)-tail], new[head:len(new)-tail]
	if len(a) == 0 && len(b) == 0 {
		return ""
	}
	type edit struct {
		op   byte // ' ', '+', '-'
		line string
	}
	var edits []edit
	if len(a)*len(b) > 4_000_000 {
		for _, l := range a {
			edits = append(edits, edit{'-', l})
		}
		for _, l := range b {
			edits = append(edits, edit{'+', l})
		}
	} else {
		// Longest common subsequence of the middle, by lines.
		lcs := make([][]int32, len(a)+1)
		for i := range lcs {
			lcs[i] = make([]int32, len(b)+1)
		}
		for i := len(a) - 1; i >= 0; i-- {
			for j := len(b) - 1; j >= 0; j-- {
				if a[i] == b[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(a) || j < len(b) {
			switch {
			case i < len(a) && j < len(b) && a[i] == b[j]:
				edits = append(edits, edit{' ', a[i]})
				i++
				j++
			case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
				edits = append(edits, edit{'-', a[i]})
				i++
			default:
				edits = append(edits, edit{'+', b[j]})
				j++
			}
		}
	}
	var out strings.Builder
	// context is the unchanged lines seen so far, new document's order:
	// the head, then the unchanged lines of the middle.
	context := append([]string(nil), new[:head]...)
	shown := map[int]bool{}
	for _, e := range edits {
		if e.op == ' ' {
			context = append(context, e.line)
			continue
		}
		// The nearest unchanged line above that is less indented holds it.
		depth := indent(e.line)
		for k := len(context) - 1; k >= 0; k-- {
			if indent(context[k]) < depth {
				if !shown[k] {
					shown[k] = true
					out.WriteString("  " + context[k] + "\n")
				}
				break
			}
		}
		out.WriteByte(e.op)
		out.WriteString(" " + e.line + "\n")
	}
	return strings.TrimRight(out.String(), "\n")
}

func indent(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// cut shortens text to maxChars characters, at a line end where it can,
// with a last line saying how much was left out and how to see it.
func cut(text string, maxChars int, what string) string {
	if maxChars <= 0 || utf8.RuneCountInString(text) <= maxChars {
		return text
	}
	runes := []rune(text)
	keep := string(runes[:max(0, maxChars-120)])
	if i := strings.LastIndexByte(keep, '\n'); i > len(keep)/2 {
		keep = keep[:i]
	}
	left := strings.Count(text[len(keep):], "\n")
	return keep + fmt.Sprintf("\n[%s cut at %d characters, %d more lines left out: raise maxChars, or scroll and snapshot again]", what, maxChars, left)
}
