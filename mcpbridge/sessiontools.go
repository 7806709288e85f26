package mcpbridge

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/sous-dev/sous/render"
	"github.com/sous-dev/sous/session"
)

// sessionCloseTimeout bounds the closing of a browser session whose MCP
// session ended.
const sessionCloseTimeout = 10 * time.Second

// The browser_* tools have Playwright MCP's names and arguments, so that
// prompts written for it work here. Each MCP session has its own browser
// context (see browsers).

type navigateInput struct {
	URL string `json:"url" jsonschema:"The URL to navigate to: an absolute http:// or https:// URL."`
}

type emptyInput struct{}

// elementInput names an element as Playwright MCP does: a description for
// people and the ref from the last snapshot (or a CSS selector).
type elementInput struct {
	Element string `json:"element,omitempty" jsonschema:"Human-readable element description, used to obtain permission to interact with the element."`
	Ref     string `json:"ref" jsonschema:"Exact target element reference from the page snapshot (e12), or a CSS selector."`
}

type clickInput struct {
	elementInput
	DoubleClick bool   `json:"doubleClick,omitempty" jsonschema:"Whether to perform a double click instead of a single click (not supported: a single click is made)."`
	Button      string `json:"button,omitempty" jsonschema:"Button to click, defaults to left (only left is supported)."`
}

type typeInput struct {
	elementInput
	Text   string `json:"text" jsonschema:"Text to type into the element. The name of a secret the operator configured types the secret's value, which replies show as «secret:NAME»."`
	Submit bool   `json:"submit,omitempty" jsonschema:"Whether to submit entered text (press Enter after)."`
	Slowly bool   `json:"slowly,omitempty" jsonschema:"Whether to type one character at a time (the whole text is inserted at once here)."`
}

type formField struct {
	Name  string `json:"name" jsonschema:"Human-readable field name."`
	Type  string `json:"type" jsonschema:"Type of the field: textbox, checkbox, radio, combobox or slider."`
	Ref   string `json:"ref" jsonschema:"Exact target field reference from the page snapshot."`
	Value string `json:"value" jsonschema:"Value to fill in the field. For a checkbox, true or false; for a combobox, the text of the option. A secret's name types its value."`
}

type fillFormInput struct {
	Fields []formField `json:"fields" jsonschema:"Fields to fill in."`
}

type selectInput struct {
	elementInput
	Values []string `json:"values" jsonschema:"Array of values to select in the dropdown. This can be a single value or multiple values."`
}

type pressInput struct {
	Key string `json:"key" jsonschema:"Name of the key to press or a character to generate, such as ArrowLeft or a; modifiers before it, as in Control+a."`
}

type waitInput struct {
	Time     float64 `json:"time,omitempty" jsonschema:"The time to wait in seconds."`
	Text     string  `json:"text,omitempty" jsonschema:"The text to wait for."`
	TextGone string  `json:"textGone,omitempty" jsonschema:"The text to wait for to disappear."`
}

type screenshotSessionInput struct {
	Type     string `json:"type,omitempty" jsonschema:"Image format for the screenshot: png or jpeg. Large images are sent as JPEG."`
	Filename string `json:"filename,omitempty" jsonschema:"Ignored: the image is returned, not saved."`
	Element  string `json:"element,omitempty" jsonschema:"Ignored: the viewport is captured."`
	Ref      string `json:"ref,omitempty" jsonschema:"Ignored: the viewport is captured."`
	FullPage bool   `json:"fullPage,omitempty" jsonschema:"Ignored: the viewport is captured."`
}

type tabsInput struct {
	Action string `json:"action" jsonschema:"Operation to perform: list, new, close or select."`
	Index  *int   `json:"index,omitempty" jsonschema:"Tab index, used for close and select. If omitted for close, the current tab is closed."`
}

type dialogInput struct {
	Accept     bool   `json:"accept" jsonschema:"Whether to accept the dialog."`
	PromptText string `json:"promptText,omitempty" jsonschema:"The text of the prompt in case of a prompt dialog."`
}

type uploadFile struct {
	Name          string `json:"name" jsonschema:"The file's name."`
	ContentBase64 string `json:"contentBase64" jsonschema:"The file's content, base64-encoded."`
}

type uploadInput struct {
	Paths   []string     `json:"paths,omitempty" jsonschema:"Not supported: this server reads no files from its own disk; send files instead."`
	Files   []uploadFile `json:"files,omitempty" jsonschema:"The file to upload, with its content (one file)."`
	Element string       `json:"element,omitempty" jsonschema:"Human-readable description of the file input."`
	Ref     string       `json:"ref,omitempty" jsonschema:"The file input's reference from the page snapshot, or a CSS selector; default input[type=file]."`
}

var (
	interacts = &mcp.ToolAnnotations{DestructiveHint: ptr(true), OpenWorldHint: ptr(true)}
	reads     = &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(true)}
)

// addSessionTools registers the browser_* tools on s.
func (b *bridge) addSessionTools(s *mcp.Server) {
	tool := func(name, title, description string, a *mcp.ToolAnnotations) *mcp.Tool {
		return &mcp.Tool{Name: name, Description: description + " Each MCP session has a browser of its own, kept between calls (cookies, logins, tabs) until the session ends or stays idle past its time.", Annotations: titled(a, title)}
	}
	steps := func(tool string, actions ...session.Action) func(context.Context, *mcp.CallToolRequest) *mcp.CallToolResult {
		return func(ctx context.Context, call *mcp.CallToolRequest) *mcp.CallToolResult {
			res, note, err := b.act(ctx, call, tool, &session.ActRequest{Actions: actions})
			return actResult(res, note, err)
		}
	}
	mcp.AddTool(s, tool("browser_navigate", "Navigate to a URL", "Navigate to a URL and return the page's accessibility snapshot, whose refs the other tools take.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in navigateInput) (*mcp.CallToolResult, any, error) {
			return steps("browser_navigate", session.Action{Kind: session.DoNavigate, URL: in.URL})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_navigate_back", "Go back", "Go back to the previous page.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, _ emptyInput) (*mcp.CallToolResult, any, error) {
			return steps("browser_navigate_back", session.Action{Kind: session.DoBack})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_snapshot", "Page snapshot", "Capture the accessibility snapshot of the current page, whole; this is better than a screenshot for acting on it.", reads),
		func(ctx context.Context, call *mcp.CallToolRequest, _ emptyInput) (*mcp.CallToolResult, any, error) {
			res, note, err := b.act(ctx, call, "browser_snapshot", &session.ActRequest{Snapshot: session.SnapshotFull})
			return actResult(res, note, err), nil, nil
		})
	mcp.AddTool(s, tool("browser_click", "Click", "Perform a click on an element of the page.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in clickInput) (*mcp.CallToolResult, any, error) {
			return steps("browser_click", session.Action{Kind: session.DoClick, Target: in.Ref})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_hover", "Hover", "Hover over an element of the page.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in elementInput) (*mcp.CallToolResult, any, error) {
			return steps("browser_hover", session.Action{Kind: session.DoHover, Target: in.Ref})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_type", "Type text", "Type text into an editable element, replacing what it holds.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in typeInput) (*mcp.CallToolResult, any, error) {
			text, secret := b.secretOr(in.Text)
			return steps("browser_type", session.Action{Kind: session.DoType, Target: in.Ref, Text: text, Secret: secret, Submit: in.Submit})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_fill_form", "Fill form", "Fill several form fields at once.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in fillFormInput) (*mcp.CallToolResult, any, error) {
			a := session.Action{Kind: session.DoFill}
			for _, f := range in.Fields {
				value, secret := b.secretOr(f.Value)
				a.Fields = append(a.Fields, session.Field{Target: f.Ref, Value: value, Secret: secret})
			}
			return steps("browser_fill_form", a)(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_select_option", "Select option", "Select an option in a dropdown, by its value or its text.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in selectInput) (*mcp.CallToolResult, any, error) {
			return steps("browser_select_option", session.Action{Kind: session.DoSelect, Target: in.Ref, Values: in.Values})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_press_key", "Press a key", "Press a key on the keyboard.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in pressInput) (*mcp.CallToolResult, any, error) {
			return steps("browser_press_key", session.Action{Kind: session.DoPress, Key: in.Key})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_wait_for", "Wait for", "Wait for text to appear or disappear, or for a time to pass.", reads),
		func(ctx context.Context, call *mcp.CallToolRequest, in waitInput) (*mcp.CallToolResult, any, error) {
			return steps("browser_wait_for", session.Action{Kind: session.DoWait, Text: in.Text, TextGone: in.TextGone, TimeMs: int(in.Time * 1000)})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_take_screenshot", "Take a screenshot", "Take a screenshot of the current page's viewport. You can't perform actions based on the screenshot; use browser_snapshot for actions.", reads),
		func(ctx context.Context, call *mcp.CallToolRequest, in screenshotSessionInput) (*mcp.CallToolResult, any, error) {
			res, note, err := b.act(ctx, call, "browser_take_screenshot", &session.ActRequest{Snapshot: session.SnapshotNone, Formats: []render.Format{render.FormatScreenshot}})
			if err != nil || res.Failed() != nil || len(res.Screenshot) == 0 {
				if err == nil && res.Dialog != nil {
					err = fmt.Errorf("%w: a %s dialog is open; answer it with browser_handle_dialog", render.ErrInvalidRequest, res.Dialog.Type)
				}
				if err == nil {
					err = fmt.Errorf("%w: no screenshot", render.ErrBrowser)
				}
				return toolError(err), nil, nil
			}
			img, err := fitImage(res.Screenshot, b.opts.MaxImageBytes, b.opts.MaxImageSide)
			if err != nil {
				return toolError(fmt.Errorf("screenshot: %w", err)), nil, nil
			}
			return &mcp.CallToolResult{Content: []mcp.Content{
				&mcp.TextContent{Text: fmt.Sprintf("%sScreenshot of the viewport of %s: %d×%d px %s.", note, res.URL, img.width, img.height, img.format)},
				&mcp.ImageContent{Data: img.data, MIMEType: img.mimeType},
			}}, nil, nil
		})
	mcp.AddTool(s, tool("browser_tabs", "Manage tabs", "List, create, close, or select a browser tab. Pages that open windows or target=_blank links add tabs.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in tabsInput) (*mcp.CallToolResult, any, error) {
			var a []session.Action
			switch in.Action {
			case "list":
			case "new":
				a = append(a, session.Action{Kind: session.DoNewTab})
			case "close":
				a = append(a, session.Action{Kind: session.DoCloseTab, Index: in.Index})
			case "select":
				a = append(a, session.Action{Kind: session.DoTab, Index: in.Index})
			default:
				return toolError(fmt.Errorf("%w: action must be list, new, close or select", render.ErrInvalidRequest)), nil, nil
			}
			return steps("browser_tabs", a...)(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_handle_dialog", "Handle a dialog", "Accept or dismiss the alert, confirm or prompt the page opened.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in dialogInput) (*mcp.CallToolResult, any, error) {
			return steps("browser_handle_dialog", session.Action{Kind: session.DoDialog, Accept: &in.Accept, Text: in.PromptText})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_file_upload", "Upload a file", "Set a file on the page's file input. Send the file's content in files; this server reads no paths from its disk.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, in uploadInput) (*mcp.CallToolResult, any, error) {
			if len(in.Paths) > 0 || len(in.Files) != 1 {
				return toolError(fmt.Errorf("%w: send one file in files as {name, contentBase64}; this server reads no paths from its own disk", render.ErrInvalidRequest)), nil, nil
			}
			if _, err := base64.StdEncoding.DecodeString(in.Files[0].ContentBase64); err != nil {
				return toolError(fmt.Errorf("%w: contentBase64: %v", render.ErrInvalidRequest, err)), nil, nil
			}
			target := in.Ref
			if strings.TrimSpace(target) == "" {
				target = "input[type=file]"
			}
			return steps("browser_file_upload", session.Action{Kind: session.DoUpload, Target: target, Name: in.Files[0].Name, ContentBase64: in.Files[0].ContentBase64})(ctx, call), nil, nil
		})
	mcp.AddTool(s, tool("browser_close", "Close the browser", "Close the browser of this MCP session: its pages, cookies and logins end. The next browser_* call opens a new one.", interacts),
		func(ctx context.Context, call *mcp.CallToolRequest, _ emptyInput) (*mcp.CallToolResult, any, error) {
			ss := sessionOf(call)
			if id, ok := b.browsers.current(ss); ok {
				b.browsers.forget(ss, id)
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "The browser is closed."}}}, nil, nil
		})
}
