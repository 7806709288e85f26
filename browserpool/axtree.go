package browserpool

import (
	"context"
	"strings"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"

	"github.com/sous-dev/sous/render"
)

// maxAXNodes bounds the tree a page can make the service build and send.
const maxAXNodes = 5000

// accessibilityTree reads the page's full accessibility tree from Chromium
// and shapes it as Puppeteer's snapshot does. With interestingOnly, nodes
// that carry nothing for a reader (ignored ones, generic containers with no
// name, inline text boxes) give way to their children.
func (t *tab) accessibilityTree(ctx context.Context, interestingOnly bool) (*render.AXNode, error) {
	res, err := cdp.Call(ctx, t.s, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		return nil, err
	}
	byID := make(map[accessibility.NodeID]*accessibility.Node, len(res.Nodes))
	var root *accessibility.Node
	for _, n := range res.Nodes {
		byID[n.NodeID] = n
		if n.ParentID == "" && root == nil {
			root = n
		}
	}
	if root == nil {
		return nil, nil
	}
	count := 0
	var build func(n *accessibility.Node, depth int) []*render.AXNode
	build = func(n *accessibility.Node, depth int) []*render.AXNode {
		var children []*render.AXNode
		if depth < 256 {
			for _, id := range n.ChildIDs {
				if c := byID[id]; c != nil {
					children = append(children, build(c, depth+1)...)
				}
			}
		}
		role := axString(n.Role)
		name := axString(n.Name)
		skip := n.Ignored || role == "InlineTextBox" || role == "LineBreak"
		if interestingOnly && (role == "generic" || role == "none" || role == "presentation" || role == "paragraph" && name == "" ||
			role == "StaticText" && strings.TrimSpace(name) == "" || role == "" && name == "") {
			skip = true
		}
		if role == "StaticText" {
			children = nil // its inline text boxes repeat it
		}
		if skip && n != root {
			return children
		}
		if count >= maxAXNodes {
			return nil
		}
		count++
		if interestingOnly && name != "" && repeatsName(children, name) {
			children = nil // "link Home" needs no "text Home" below it
		}
		node := &render.AXNode{Role: role, Name: name, Description: axString(n.Description), Children: children}
		if v := axAny(n.Value); v != nil && v != "" {
			node.Value = v
		}
		for _, p := range n.Properties {
			v := axAny(p.Value)
			switch p.Name {
			case accessibility.PropertyNameLevel:
				if f, ok := v.(float64); ok {
					node.Level = int(f)
				}
			case accessibility.PropertyNameChecked:
				node.Checked = tristate(v)
			case accessibility.PropertyNamePressed:
				node.Pressed = tristate(v)
			case accessibility.PropertyNameDisabled:
				node.Disabled = v == true
			case accessibility.PropertyNameExpanded:
				node.Expanded = v == true
			case accessibility.PropertyNameFocused:
				node.Focused = v == true
			case accessibility.PropertyNameRequired:
				node.Required = v == true
			case accessibility.PropertyNameSelected:
				node.Selected = v == true
			case accessibility.PropertyNameReadonly:
				node.Readonly = v == true
			case accessibility.PropertyNameMultiline:
				node.Multiline = v == true
			case accessibility.PropertyNameHasPopup:
				if s, ok := v.(string); ok && s != "false" {
					node.Haspopup = s
				}
			case accessibility.PropertyNameInvalid:
				if s, ok := v.(string); ok && s != "false" {
					node.Invalid = s
				}
			}
		}
		return []*render.AXNode{node}
	}
	nodes := build(root, 0)
	if len(nodes) == 0 {
		return nil, nil
	}
	return nodes[0], nil
}

// repeatsName reports whether children are only text that spells name.
func repeatsName(children []*render.AXNode, name string) bool {
	var b strings.Builder
	for _, c := range children {
		if c.Role != "StaticText" || len(c.Children) > 0 {
			return false
		}
		b.WriteString(c.Name)
	}
	return strings.Join(strings.Fields(b.String()), " ") == strings.Join(strings.Fields(name), " ")
}

func axAny(v *accessibility.Value) any {
	if v == nil || len(v.Value) == 0 {
		return nil
	}
	var out any
	if jsonv2.Unmarshal(v.Value, &out) != nil {
		return nil
	}
	return out
}

func axString(v *accessibility.Value) string {
	s, _ := axAny(v).(string)
	return s
}

// tristate keeps true and "mixed", and drops false.
func tristate(v any) any {
	switch v {
	case true, "true":
		return true
	case "mixed":
		return "mixed"
	}
	return nil
}
