package extract

import (
	"hash/fnv"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// minRepeatWords is the length, in words, from which a block that repeats
// an earlier one word for word is taken for a copy: shorter ones (a
// price, a date, the terms under each of a page's coupons) repeat on
// purpose.
const minRepeatWords = 25

// textKey identifies a block's text: a hash of its words in order, and
// how many there are.
type textKey struct {
	hash  uint64
	words int
}

// dropRepeats leaves out each block of a region whose text repeats, word
// for word, that of an earlier block: pages print some of their content
// twice, one copy for narrow screens and one for wide ones (a product's
// description, a card carousel's clones), and a stylesheet we do not
// apply shows one of them. Quotations and code are copies on purpose (a
// post quoting another, an example repeated), so nothing inside a
// blockquote, pre, code or table is compared. Articles are left as they
// are: a story may repeat a passage (a recipe's steps, a meal plan's
// days), and an article is one block, not a page's blocks side by side.
//
// The words of every element are hashed bottom-up, each element's hash
// combined from its children's, so the work is linear in the size of the
// block however deep it nests.
func (m *mainBlock) dropRepeats() {
	keys := map[*html.Node]textKey{}
	for _, part := range m.parts {
		m.hashText(part, keys)
	}
	seen := map[textKey]*html.Node{}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || m.skip[c] || isElement(c, "blockquote", "pre", "code", "table") {
				continue
			}
			if key, ok := keys[c]; ok && isBlock(c) {
				if first, ok := seen[key]; ok && !contains(first, c) {
					m.skip[c] = true
					continue
				}
				if _, ok := seen[key]; !ok {
					seen[key] = c
				}
			}
			walk(c)
		}
	}
	for _, part := range m.parts {
		walk(part)
	}
	m.dropNearbyCopies()
}

// nearbyLines is how many lines back a line is looked for: a card printed
// twice, once for narrow screens and once for wide ones, repeats its
// title and date a line or three apart.
const nearbyLines = 4

// dropNearbyCopies leaves out each line of a region (a block with no block
// inside it) of two words or more that repeats one of the few lines just
// before it: a card's title and date printed once per layout. A line
// repeated further away (each card's "Free shipping") stays, and so does a
// sentence, which a page repeats on purpose (each coupon's terms).
func (m *mainBlock) dropNearbyCopies() {
	var recent []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode || m.skip[c] || neverText(c) || isElement(c, "blockquote", "pre", "code", "table") {
				continue
			}
			if !isBlock(c) || find(c, func(d *html.Node) bool { return d != c && isBlock(d) }) != nil {
				walk(c)
				continue
			}
			text := shortText(c)
			if !strings.Contains(text, " ") || endsSentence(text) {
				continue
			}
			if slices.Contains(recent, text) {
				m.skip[c] = true
				continue
			}
			recent = append(recent, text)
			if len(recent) > nearbyLines {
				recent = recent[1:]
			}
		}
	}
	for _, part := range m.parts {
		walk(part)
	}
}

// hashText returns the rolling hash of n's words (h), base to the power of
// their number (power), and that number, recording in keys the elements
// with at least minRepeatWords words.
func (m *mainBlock) hashText(n *html.Node, keys map[*html.Node]textKey) (h, power uint64, words int) {
	const base = 1099511628211
	power = 1
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch {
		case c.Type == html.TextNode:
			for _, word := range strings.Fields(c.Data) {
				hw := fnv.New64a()
				hw.Write([]byte(word))
				h = h*base + hw.Sum64()
				power *= base
				words++
			}
		case c.Type == html.ElementNode && !m.skip[c] && !neverText(c):
			ch, cp, cw := m.hashText(c, keys)
			h = h*cp + ch
			power *= cp
			words += cw
		}
	}
	if words >= minRepeatWords && n.Type == html.ElementNode {
		keys[n] = textKey{hash: h, words: words}
	}
	return h, power, words
}
