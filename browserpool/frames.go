package browserpool

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"

	"github.com/sous-dev/sous/render"
)

// Bounds of what frames add to a snapshot.
const (
	maxFrameDepth = 3       // frames within frames within frames
	maxFrameBytes = 2 << 20 // of one frame's HTML
	maxPageBytes  = 32 << 20
	maxFrames     = 32 // frames read through the protocol, per render
)

// frameDoc is a frame's document read in its own context, for the
// snapshot of its parent (snapshot.js's a.frameDocs).
type frameDoc struct {
	URL      string              `json:"url"`
	HTML     string              `json:"html"`
	Elements int                 `json:"elements"`
	Hidden   []render.ElementRef `json:"hidden"`
}

// snapshotResult is what snapshot.js returns.
type snapshotResult struct {
	URL      string              `json:"url"`
	Title    string              `json:"title"`
	HTML     string              `json:"html"`
	Elements int                 `json:"elements"`
	Hidden   []render.ElementRef `json:"hidden"`
	Boxes    map[string][]struct {
		Tag    string  `json:"tag"`
		Top    float64 `json:"top"`
		Left   float64 `json:"left"`
		Width  float64 `json:"width"`
		Height float64 `json:"height"`
	} `json:"boxes"`
	Status    int  `json:"status"` // of the document, 0 when unknown
	Frames    int  `json:"frames"`
	FramesCut int  `json:"framesCut"`
	Truncated bool `json:"truncated"`
	// Refused are the navigations keepdocument.js cancelled.
	Refused []string `json:"refused"`
}

// snapshotArgs are snapshot.js's arguments.
type snapshotArgs struct {
	Selectors     []string         `json:"selectors"`
	MaxBoxes      int              `json:"maxBoxes"`
	Frames        bool             `json:"frames"`
	FrameDocs     map[int]frameDoc `json:"frameDocs,omitempty"`
	FrameKey      string           `json:"frameKey,omitempty"`
	BodyOnly      bool             `json:"bodyOnly,omitempty"`
	Depth         int              `json:"depth,omitempty"`
	MaxBytes      int              `json:"maxBytes"`
	MaxFrameBytes int              `json:"maxFrameBytes"`
}

// maxBoxes is how many matches of one scrape selector get a box; the
// extractor scrapes no more than that either.
const maxBoxes = 1000

// snapshot reads the document as it is now (snapshot.js): its composed
// HTML, with open shadow roots and, when frames is set, the documents of
// its frames in place; the elements people cannot see; and for each of
// selectors the boxes of its first maxBoxes matches, all in one evaluation
// so that they see the same DOM. Frames of another origin, which the
// page's script cannot read, are read first through the protocol.
func (t *tab) snapshot(ctx context.Context, selectors []string, frames bool) (*render.Page, error) {
	args := snapshotArgs{Selectors: selectors, MaxBoxes: maxBoxes, Frames: frames, MaxBytes: maxPageBytes, MaxFrameBytes: maxFrameBytes}
	var warnings []string
	if frames {
		fr := &frameReader{t: t, key: "__sous_frame_" + rand.Text()[:12]}
		docs, err := fr.read(ctx, t.s, cdp.FrameID(t.targetID), 0, 0)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			// The page is read without them; the frames stay iframes.
			warnings = append(warnings, fmt.Sprintf("frames of other origins were left out: %v", err))
		}
		args.FrameDocs, args.FrameKey = docs, fr.key
	}
	raw, err := t.call(ctx, snapshotScript, args)
	if err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	var doc snapshotResult
	if err := jsonv2.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("read document: %w", err)
	}
	if doc.FramesCut > 0 {
		warnings = append(warnings, fmt.Sprintf("%d frames were left out or cut short: the page's size budget was spent", doc.FramesCut))
	}
	if len(doc.Refused) > 0 {
		warnings = append(warnings, fmt.Sprintf("the page tried to navigate to %s; the document given as html was kept", doc.Refused[0]))
	}
	if doc.Truncated {
		warnings = append(warnings, fmt.Sprintf("the page was cut at %d MiB of HTML", maxPageBytes>>20))
	}
	p := &render.Page{URL: doc.URL, Title: doc.Title, HTML: doc.HTML, Engine: render.EngineBrowser,
		Hidden: doc.Hidden, Elements: doc.Elements, Warnings: warnings}
	if len(doc.Boxes) > 0 {
		p.Boxes = make(map[string][]render.Box, len(doc.Boxes))
		for s, list := range doc.Boxes {
			boxes := make([]render.Box, len(list))
			for i, b := range list {
				boxes[i] = render.Box{Tag: b.Tag, Top: b.Top, Left: b.Left, Width: b.Width, Height: b.Height}
			}
			p.Boxes[s] = boxes
		}
	}
	return p, nil
}

// frameReader reads, through the protocol, the frames whose documents the
// script of their parent cannot reach: those of another origin, in the
// same renderer (read in an isolated world of the frame) or in another
// one (an out-of-process iframe, read through its own target). Each is
// read before its parent, and its iframe element gets an expando (key)
// naming it, in the world where the parent is read.
type frameReader struct {
	t    *tab
	key  string
	next int // the next frame number
	// targets are the tab's out-of-process frames by frame ID, listed
	// once.
	targets map[cdp.FrameID]*target.Info
}

// read returns the documents of the frames under frame (in session s,
// read in execution context world; 0 is the main world) that need the
// protocol, keyed by the number their iframe element was marked with.
func (fr *frameReader) read(ctx context.Context, s session, frame cdp.FrameID, world runtime.ExecutionContextID, depth int) (map[int]frameDoc, error) {
	if depth >= maxFrameDepth {
		return nil, nil
	}
	res, err := cdp.Call(ctx, s, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		return nil, fmt.Errorf("frame tree: %w", err)
	}
	tree := res.FrameTree
	node := findFrame(tree, frame)
	if node == nil {
		return nil, nil
	}
	if err := fr.listTargets(ctx); err != nil {
		return nil, err
	}
	docs := map[int]frameDoc{}
	children := node.ChildFrames
	// Out-of-process frames are not in this session's tree: they are
	// targets whose parent frame is this one.
	for id, info := range fr.targets {
		if info.ParentFrameID == frame && findFrame(tree, id) == nil {
			children = append(children, &page.FrameTree{Frame: &cdp.Frame{ID: id, URL: info.URL}})
		}
	}
	for _, child := range children {
		if fr.next >= maxFrames || ctx.Err() != nil {
			break
		}
		if child.Frame.SecurityOrigin != "" && child.Frame.SecurityOrigin == node.Frame.SecurityOrigin {
			continue // the parent's script reads it
		}
		doc, err := fr.readFrame(ctx, s, child.Frame, depth+1)
		if err != nil || doc == nil {
			continue // a frame that went away, or that cannot be read: it stays an iframe
		}
		n := fr.next
		fr.next++
		if err := fr.mark(ctx, s, child.Frame.ID, world, n); err != nil {
			continue
		}
		docs[n] = *doc
	}
	return docs, ctx.Err()
}

// readFrame reads one frame of another origin: in an isolated world of the
// frame when it lives in s's renderer, through its own target otherwise.
// A frame whose document is an HTTP error gives nil and no error.
func (fr *frameReader) readFrame(ctx context.Context, s session, f *cdp.Frame, depth int) (_ *frameDoc, err error) {
	if _, remote := fr.targets[f.ID]; remote {
		bs := session{conn: fr.t.browser.proc.conn}
		at, err := cdp.Call(ctx, bs, target.AttachToTarget, target.AttachToTargetParams{TargetID: target.ID(f.ID), Flatten: ptr(true)})
		if err != nil {
			return nil, fmt.Errorf("attach to frame: %w", err)
		}
		fs := session{conn: fr.t.browser.proc.conn, id: at.SessionID}
		defer func() {
			if _, detachErr := cdp.Call(cleanupContext(ctx), bs, target.DetachFromTarget, target.DetachFromTargetParams{SessionID: at.SessionID}); detachErr != nil {
				err = errors.Join(err, fmt.Errorf("detach from frame: %w", detachErr))
			}
		}()
		return fr.readIn(ctx, fs, f.ID, 0, depth)
	}
	world, err := cdp.Call(ctx, s, page.CreateIsolatedWorld, page.CreateIsolatedWorldParams{FrameID: f.ID, WorldName: "sous-snapshot"})
	if err != nil {
		return nil, fmt.Errorf("isolated world: %w", err)
	}
	return fr.readIn(ctx, s, f.ID, world.ExecutionContextID, depth)
}

// readIn reads frame in session s and context world, its own frames of
// other origins first.
func (fr *frameReader) readIn(ctx context.Context, s session, frame cdp.FrameID, world runtime.ExecutionContextID, depth int) (*frameDoc, error) {
	docs, err := fr.read(ctx, s, frame, world, depth)
	if err != nil {
		return nil, err
	}
	expr, err := callExpression(snapshotScript, snapshotArgs{
		Frames: true, FrameDocs: docs, FrameKey: fr.key, BodyOnly: true, Depth: depth,
		MaxBytes: maxFrameBytes, MaxFrameBytes: maxFrameBytes,
	})
	if err != nil {
		return nil, err
	}
	raw, err := evaluate(ctx, s, world, expr)
	if err != nil {
		return nil, fmt.Errorf("read frame: %w", err)
	}
	var doc snapshotResult
	if err := jsonv2.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("read frame: %w", err)
	}
	if doc.Status >= 400 {
		return nil, nil // an HTTP error (a missing page, or one the guard refused) is no content
	}
	return &frameDoc{URL: doc.URL, HTML: doc.HTML, Elements: doc.Elements, Hidden: doc.Hidden}, nil
}

// mark sets the expando fr.key to n on the iframe element of frame, in
// the world of s where its parent will be read.
func (fr *frameReader) mark(ctx context.Context, s session, frame cdp.FrameID, world runtime.ExecutionContextID, n int) (err error) {
	owner, err := cdp.Call(ctx, s, dom.GetFrameOwner, dom.GetFrameOwnerParams{FrameID: frame})
	if err != nil {
		return fmt.Errorf("frame owner: %w", err)
	}
	obj, err := cdp.Call(ctx, s, dom.ResolveNode, dom.ResolveNodeParams{BackendNodeID: owner.BackendNodeID, ExecutionContextID: world})
	if err != nil {
		return fmt.Errorf("resolve frame owner: %w", err)
	}
	if obj.Object == nil || obj.Object.ObjectID == "" {
		return fmt.Errorf("resolve frame owner: no object")
	}
	defer func() {
		if _, releaseErr := cdp.Call(cleanupContext(ctx), s, runtime.ReleaseObject, runtime.ReleaseObjectParams{ObjectID: obj.Object.ObjectID}); releaseErr != nil {
			err = errors.Join(err, fmt.Errorf("release frame owner: %w", releaseErr))
		}
	}()
	key, err := jsonv2.Marshal(fr.key)
	if err != nil {
		return err
	}
	num, err := jsonv2.Marshal(n)
	if err != nil {
		return err
	}
	_, err = cdp.Call(ctx, s, runtime.CallFunctionOn, runtime.CallFunctionOnParams{
		FunctionDeclaration: "function (k, n) { this[k] = n; }",
		ObjectID:            obj.Object.ObjectID,
		Arguments:           []*runtime.CallArgument{{Value: key}, {Value: num}},
	})
	if err != nil {
		return fmt.Errorf("mark frame owner: %w", err)
	}
	return nil
}

// listTargets lists the tab's out-of-process frames once.
func (fr *frameReader) listTargets(ctx context.Context) error {
	if fr.targets != nil {
		return nil
	}
	fr.targets = map[cdp.FrameID]*target.Info{}
	bs := session{conn: fr.t.browser.proc.conn}
	list, err := cdp.Call(ctx, bs, target.GetTargets, target.GetTargetsParams{})
	if err != nil {
		return fmt.Errorf("list frames: %w", err)
	}
	for _, info := range list.TargetInfos {
		if info.Type == "iframe" && info.BrowserContextID == fr.t.contextID {
			fr.targets[cdp.FrameID(info.TargetID)] = info
		}
	}
	return nil
}

// findFrame finds frame id in tree.
func findFrame(tree *page.FrameTree, id cdp.FrameID) *page.FrameTree {
	if tree == nil || tree.Frame == nil {
		return nil
	}
	if tree.Frame.ID == id {
		return tree
	}
	for _, c := range tree.ChildFrames {
		if f := findFrame(c, id); f != nil {
			return f
		}
	}
	return nil
}
