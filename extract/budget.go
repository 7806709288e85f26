package extract

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// cutToBudget shortens s to at most maxChars characters (runes), marker
// included, when it is longer. It cuts where a block ends — a blank line
// outside fenced code, for markdown — so that what remains is whole
// paragraphs, tables and code blocks; only when not even the first block
// fits does it cut at the last line break, then the last space, that fits.
// The marker on its own line says how many characters were left out, so a
// reader (or a model) knows the text goes on. A budget too small for the
// marker gives the marker alone.
func cutToBudget(s string, maxChars int, markdown bool) string {
	if maxChars <= 0 {
		return s
	}
	total := utf8.RuneCountInString(s)
	if total <= maxChars {
		return s
	}
	// The marker's length depends on the number it carries; the total is
	// an upper bound for that number, so reserve that much room.
	room := maxChars - utf8.RuneCountInString(cutMarker(total)) - 2
	if room <= 0 {
		return cutMarker(total)
	}
	kept := cutAt(s, room, markdown)
	closing := ""
	if fence := openFence(kept, markdown); fence != "" {
		// Cut inside fenced code (no block boundary fitted): close the
		// fence, within the budget.
		kept = cutAt(s, room-len(fence)-1, markdown)
		if fence = openFence(kept, markdown); fence != "" {
			closing = "\n" + fence
		}
	}
	return kept + closing + "\n\n" + cutMarker(total-utf8.RuneCountInString(kept))
}

// cutAt returns the longest prefix of s of at most room runes that ends a
// block, else a line, else a word (see cutToBudget), without trailing space.
func cutAt(s string, room int, markdown bool) string {
	if room <= 0 {
		return ""
	}
	limit := byteOffset(s, room)
	cut := lastBlockEnd(s[:min(limit+1, len(s))], markdown)
	if cut <= 0 {
		cut = strings.LastIndexByte(s[:limit], '\n')
	}
	if cut <= 0 {
		cut = strings.LastIndexAny(s[:limit], " \t")
	}
	if cut <= 0 {
		cut = limit
	}
	if markdown {
		// A line or word cut must not leave half a link: [text](https://…
		// is neither text nor a link to a reader.
		if start := openLink(s[:cut]); start >= 0 {
			cut = start
		}
	}
	return strings.TrimRight(s[:cut], " \t\n")
}

// openLink returns the offset of the [ of a markdown link or image that md
// opens and does not close, or -1.
func openLink(md string) int {
	open, inTarget := -1, false
	for i := 0; i < len(md); i++ {
		switch c := md[i]; {
		case inTarget:
			if c == ')' {
				open, inTarget = -1, false
			}
		case c == '[':
			if open < 0 {
				open = i
				if i > 0 && md[i-1] == '!' {
					open = i - 1
				}
			}
		case c == ']' && open >= 0:
			if i+1 < len(md) && md[i+1] == '(' {
				inTarget = true
				i++
			} else if i+1 == len(md) {
				return open // the target may follow
			} else {
				open = -1 // brackets, not a link
			}
		}
	}
	return open
}

func cutMarker(leftOut int) string {
	return fmt.Sprintf("[… %d more characters left out by maxChars]", leftOut)
}

// byteOffset is the byte offset of the rune at index runes of s (or len(s)).
func byteOffset(s string, runes int) int {
	for i := range s {
		if runes == 0 {
			return i
		}
		runes--
	}
	return len(s)
}

// lastBlockEnd returns the offset of the last blank line in s that ends a
// block: for markdown, one outside fenced code. It returns -1 if there is
// none.
func lastBlockEnd(s string, markdown bool) int {
	if !markdown {
		return strings.LastIndex(s, "\n\n")
	}
	last, fence := -1, ""
	for i := 0; i < len(s); {
		end := strings.IndexByte(s[i:], '\n')
		if end < 0 {
			end = len(s)
		} else {
			end += i
		}
		line := s[i:end]
		if marker := fenceMarker(line); marker != "" {
			switch {
			case fence == "":
				fence = marker
			case strings.HasPrefix(marker, fence) && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), fence[:1])) == "":
				fence = ""
			}
		}
		if fence == "" && strings.TrimSpace(line) == "" && i > 0 {
			last = i - 1
		}
		i = end + 1
	}
	return last
}

// fenceMarker returns the run of backticks or tildes a line opens or closes
// a fenced code block with, or "".
func fenceMarker(line string) string {
	trimmed := strings.TrimLeft(line, " ")
	if len(line)-len(trimmed) > 3 || len(trimmed) < 3 {
		return ""
	}
	c := trimmed[0]
	if c != '`' && c != '~' {
		return ""
	}
	run := len(trimmed) - len(strings.TrimLeft(trimmed, trimmed[:1]))
	if run < 3 {
		return ""
	}
	return trimmed[:run]
}

// openFence returns the fence that markdown md leaves open at its end, or "".
func openFence(md string, markdown bool) string {
	if !markdown {
		return ""
	}
	fence := ""
	for line := range strings.SplitSeq(md, "\n") {
		marker := fenceMarker(line)
		switch {
		case marker == "":
		case fence == "":
			fence = marker
		case strings.HasPrefix(marker, fence) && strings.TrimSpace(strings.TrimLeft(strings.TrimSpace(line), fence[:1])) == "":
			fence = ""
		}
	}
	return fence
}
