package browserpool

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	jsonv2 "github.com/chromedp/cdproto/cdp/jsonv2"
	"github.com/chromedp/cdproto/runtime"
)

// The JavaScript a render runs in pages lives in js/, one file per script,
// so that it is read, linted and tested as JavaScript rather than as Go
// strings. Each file but settle.js and keepdocument.js is one function
// expression, called with JSON arguments by tab.call; those two are
// statements run as they are, in every new document. The scripts a
// session's actions call on an element (the second block below) are
// function declarations, called by sessionTab.call with the element as
// this and their arguments as Runtime.callFunctionOn's.
//
//go:embed js/*.js
var scriptFiles embed.FS

// The scripts, read once at start.
var (
	settleScript          = mustScript("settle.js")
	settleStateScript     = mustScript("settle_state.js")
	scrollScript          = mustScript("scroll.js")
	overlayScript         = mustScript("overlay.js")
	snapshotScript        = mustScript("snapshot.js")
	scrollIntoViewScript  = mustScript("scrollintoview.js")
	addTagScript          = mustScript("addtag.js")
	waitForSelectorScript = mustScript("waitselector.js")
	readyScript           = mustScript("ready.js")
	keepDocumentScript    = mustScript("keepdocument.js")

	// A session's actions.
	querySelectorScript   = mustScript("queryselector.js")
	scrollByScript        = mustScript("scrollby.js")
	visibleScript         = mustScript("visible.js")
	hasTextScript         = mustScript("hastext.js")
	localStorageScript    = mustScript("localstorage.js")
	setLocalStorageScript = mustScript("setlocalstorage.js")
)

// The scripts of a session's actions that are called on an element, as
// this (see sessionTab.call).
var (
	centerScript        = mustScript("center.js")
	focusFieldScript    = mustScript("focusfield.js")
	clearFieldScript    = mustScript("clearfield.js")
	fieldKindScript     = mustScript("fieldkind.js")
	selectOptionsScript = mustScript("selectoptions.js")
	checkedScript       = mustScript("checked.js")
	fileInputScript     = mustScript("fileinput.js")
)

func mustScript(name string) string {
	b, err := scriptFiles.ReadFile("js/" + name)
	if err != nil {
		panic(fmt.Sprintf("browserpool: embedded script %s: %v", name, err))
	}
	return strings.TrimSpace(string(b))
}

// callExpression is the expression that calls the function expression fn
// with args, each encoded as JSON.
func callExpression(fn string, args ...any) (string, error) {
	var b strings.Builder
	b.WriteString("(")
	b.WriteString(fn)
	b.WriteString(")(")
	for i, a := range args {
		if i > 0 {
			b.WriteString(", ")
		}
		j, err := json.Marshal(a)
		if err != nil {
			return "", fmt.Errorf("encode script argument: %w", err)
		}
		b.Write(j)
	}
	b.WriteString(")")
	return b.String(), nil
}

// call runs the function expression fn in the page's main world with args
// and returns its JSON value, awaiting a promise.
func (t *tab) call(ctx context.Context, fn string, args ...any) (jsonv2.Value, error) {
	expr, err := callExpression(fn, args...)
	if err != nil {
		return nil, err
	}
	return t.eval(ctx, expr)
}

// scriptError is an exception a script threw in the page.
type scriptError struct{ message string }

func (e *scriptError) Error() string { return "page script: " + e.message }

// eval runs expression in the page's main world and returns its JSON
// value, awaiting a promise if it returns one.
func (t *tab) eval(ctx context.Context, expression string) (jsonv2.Value, error) {
	return evaluate(ctx, t.s, 0, expression)
}

// evaluate runs expression in session s, in the execution context
// contextID (0: the main world of the session's main frame).
func evaluate(ctx context.Context, s cdp.Session, contextID runtime.ExecutionContextID, expression string) (jsonv2.Value, error) {
	res, err := cdp.Call(ctx, s, runtime.Evaluate, runtime.EvaluateParams{
		Expression: expression, ReturnByValue: ptr(true), AwaitPromise: ptr(true), ContextID: contextID,
	})
	if err != nil {
		return nil, err
	}
	if ex := res.ExceptionDetails; ex != nil {
		msg := ex.Text
		if ex.Exception != nil && ex.Exception.Description != "" {
			msg = ex.Exception.Description
		}
		return nil, &scriptError{message: msg}
	}
	if res.Result == nil {
		return nil, nil
	}
	return res.Result.Value, nil
}

// cleanupTime bounds a call that undoes what a step did, made after the
// request's context may have ended.
const cleanupTime = 5 * time.Second

// cleanupContext is ctx's values without its cancellation, bounded by
// cleanupTime: a browser whose page crashed may never answer. The context
// ends on its own at that bound.
func cleanupContext(ctx context.Context) context.Context {
	c, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTime)
	context.AfterFunc(c, cancel)
	return c
}
