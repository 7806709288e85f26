package isolate

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"

	"github.com/sous-dev/sous/render"
)

// sandbox is one run's JavaScript runtime, made fresh for the run and
// dropped after it, so nothing a script does (prototype pollution, globals)
// outlives it. It holds nothing of the host: goja has no require, process,
// fetch, timers or filesystem unless they are added, and only console and,
// in code mode, sous are.
type sandbox struct {
	vm *goja.Runtime

	// The built-ins the sandbox itself uses, taken before the caller's code
	// runs, so that a script replacing JSON.stringify affects only itself.
	stringify, parse goja.Callable
	errorCtor        goja.Value

	logs logBuffer
}

// scriptName is the file name errors carry; positions in it are the
// caller's lines once wrapperLines are taken off.
const (
	scriptName   = "script.js"
	wrapperLines = 1
	// maxCallDepth is how deep JavaScript calls may nest: V8's order of
	// magnitude, and far below what would exhaust the Go stack.
	maxCallDepth = 10_000
)

func newSandbox() *sandbox {
	vm := goja.New()
	vm.SetMaxCallStackSize(maxCallDepth)
	s := &sandbox{vm: vm}
	json := vm.Get("JSON").ToObject(vm)
	s.stringify, _ = goja.AssertFunction(json.Get("stringify"))
	s.parse, _ = goja.AssertFunction(json.Get("parse"))
	s.errorCtor = vm.Get("Error")

	console := vm.NewObject()
	for _, name := range []string{"log", "info", "warn", "error", "debug"} {
		console.Set(name, s.consoleLog)
	}
	vm.Set("console", console)
	return s
}

// compile wraps src, the body of a function, as a function expression:
// (function (page) {…}) for a script, (async function (sous) {…}) for a
// program.
func compile(mode, src string) (*goja.Program, *frameError) {
	head := "(function (page) {\n"
	if mode == modeCode {
		head = "(async function (sous) {\n"
	}
	prg, err := goja.Compile(scriptName, head+src+"\n})", false)
	if err != nil {
		fe := compileError(err)
		// An error found at the wrapper's closing brace is the end of the
		// caller's source ("return (").
		if lines := strings.Split(src, "\n"); fe.Line > len(lines) {
			fe.Line, fe.Column = len(lines), utf8.RuneCountInString(lines[len(lines)-1])+1
		}
		return nil, fe
	}
	return prg, nil
}

// compileError turns goja's syntax errors into a positioned frameError.
func compileError(err error) *frameError {
	fe := &frameError{Code: codeError, Message: err.Error()}
	var list parser.ErrorList
	var one *parser.Error
	var syntax *goja.CompilerSyntaxError
	switch {
	case errors.As(err, &list) && len(list) > 0:
		fe.Message, fe.Line, fe.Column = "SyntaxError: "+list[0].Message, list[0].Position.Line, list[0].Position.Column
	case errors.As(err, &one):
		fe.Message, fe.Line, fe.Column = "SyntaxError: "+one.Message, one.Position.Line, one.Position.Column
	case errors.As(err, &syntax) && syntax.File != nil:
		pos := syntax.File.Position(syntax.Offset)
		fe.Message, fe.Line, fe.Column = "SyntaxError: "+syntax.Message, pos.Line, pos.Column
	}
	if m := syntaxPosition.FindStringSubmatch(fe.Message); m != nil {
		fe.Line, _ = strconv.Atoi(m[1])
		fe.Column, _ = strconv.Atoi(m[2])
		fe.Message = "SyntaxError: " + m[3]
	}
	fe.Line = max(0, fe.Line-wrapperLines)
	if fe.Line == 0 {
		fe.Column = 0
	}
	return fe
}

// syntaxPosition finds the position in goja's syntax error messages
// ("script.js: Line 2:8 Unexpected identifier (and 4 more errors)").
var syntaxPosition = regexp.MustCompile(`script\.js: Line (\d+):(\d+) (.*?)(?: \(and \d+ more errors?\))?$`)

// The codes that cross the pipe, the rows of render's code table.
const (
	codeError   = render.CodeScript
	codeTimeout = render.CodeScriptTimeout
	codeMemory  = render.CodeScriptMemory
	codeOutput  = render.CodeScriptOutput
	// codeTooManyCalls rejects a sous.* call past a program's cap.
	codeTooManyCalls = render.CodeTooManyCalls
)

// exceptionError describes a thrown value without trusting it: getters
// and toString of a hostile object may throw or loop (the watchdog bounds
// the loop), and a throw from them is caught here.
func (s *sandbox) exceptionError(err error) *frameError {
	var ex *goja.Exception
	if !errors.As(err, &ex) {
		return &frameError{Code: codeError, Message: err.Error()}
	}
	fe := &frameError{Code: codeError, Message: "Uncaught exception"}
	for _, f := range ex.Stack() {
		if pos := f.Position(); pos.Filename == scriptName && pos.Line > wrapperLines {
			fe.Line, fe.Column = pos.Line-wrapperLines, pos.Column
			break
		}
	}
	if msg, ok := s.describe(ex.Value()); ok {
		fe.Message = msg
	}
	return fe
}

// describe names a thrown value: "TypeError: message" for an Error,
// "Uncaught 42" or "Uncaught {"a":1}" for anything else.
func (s *sandbox) describe(v goja.Value) (msg string, ok bool) {
	err := guard(func() {
		switch {
		case v == nil || goja.IsUndefined(v):
			msg = "Uncaught undefined"
		case goja.IsNull(v):
			msg = "Uncaught null"
		default:
			if sym, isSymbol := v.(*goja.Symbol); isSymbol {
				msg = "Uncaught Symbol(" + sym.String() + ")"
				return
			}
			obj, isObject := v.(*goja.Object)
			if !isObject {
				msg = "Uncaught " + v.String()
				return
			}
			if ctor, ok := s.errorCtor.(*goja.Object); ok && s.vm.InstanceOf(obj, ctor) {
				name, message := obj.Get("name"), obj.Get("message")
				msg = "Error"
				if name != nil && !goja.IsUndefined(name) {
					msg = name.String()
				}
				if message != nil && !goja.IsUndefined(message) && message.String() != "" {
					msg += ": " + message.String()
				}
				return
			}
			out, err := s.stringify(goja.Undefined(), obj)
			if err != nil || out == nil || goja.IsUndefined(out) {
				msg = "Uncaught [object " + obj.ClassName() + "]"
				return
			}
			msg = "Uncaught " + out.String()
		}
	})
	return truncate(msg, 1000), err == nil
}

// guard runs f, turning any panic (a JavaScript throw from a getter, an
// interrupt) into an error.
func guard(f func()) (err error) {
	defer func() {
		if x := recover(); x != nil {
			if e, ok := x.(error); ok {
				err = e
				return
			}
			err = fmt.Errorf("%v", x)
		}
	}()
	f()
	return nil
}

// toJSON is JSON.stringify(v), with undefined (and functions) as null.
func (s *sandbox) toJSON(v goja.Value) (json.RawMessage, error) {
	out, err := s.stringify(goja.Undefined(), v)
	if err != nil {
		return nil, err
	}
	if out == nil || goja.IsUndefined(out) {
		return json.RawMessage("null"), nil
	}
	return json.RawMessage(out.String()), nil
}

// fromJSON is JSON.parse(b).
func (s *sandbox) fromJSON(b []byte) (goja.Value, error) {
	if len(b) == 0 {
		return goja.Undefined(), nil
	}
	return s.parse(goja.Undefined(), s.vm.ToValue(string(b)))
}

// newError makes an Error with a code property, for a rejected sous call.
func (s *sandbox) newError(code render.Code, message string) goja.Value {
	ctor, ok := s.errorCtor.(*goja.Object)
	if !ok {
		return s.vm.ToValue(message)
	}
	obj, err := s.vm.New(ctor, s.vm.ToValue(message))
	if err != nil {
		return s.vm.ToValue(message)
	}
	obj.Set("code", string(code))
	return obj
}

// consoleLog keeps one line of console output: strings as they are,
// anything else as JSON.
func (s *sandbox) consoleLog(call goja.FunctionCall) goja.Value {
	if s.logs.full() {
		return goja.Undefined()
	}
	parts := make([]string, 0, len(call.Arguments))
	for _, a := range call.Arguments {
		if _, isObject := a.(*goja.Object); !isObject {
			parts = append(parts, a.String())
			continue
		}
		out, err := s.stringify(goja.Undefined(), a)
		if err != nil || out == nil || goja.IsUndefined(out) {
			parts = append(parts, a.String())
			continue
		}
		parts = append(parts, out.String())
	}
	s.logs.add(strings.Join(parts, " "))
	return goja.Undefined()
}

// logBuffer keeps the first lines a program logs, up to a budget.
type logBuffer struct {
	lines []string
	bytes int
	cut   bool
}

const (
	maxLogLines = 1000
	maxLogBytes = 64 << 10
)

func (l *logBuffer) full() bool { return l.cut }

func (l *logBuffer) add(line string) {
	line = truncate(line, maxLogBytes)
	if len(l.lines) >= maxLogLines || l.bytes+len(line) > maxLogBytes {
		l.lines = append(l.lines, fmt.Sprintf("… more output was left out (the limit is %d lines or %d KiB)", maxLogLines, maxLogBytes>>10))
		l.cut = true
		return
	}
	l.lines = append(l.lines, line)
	l.bytes += len(line)
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
