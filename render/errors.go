package render

import (
	"errors"
	"fmt"
	"net/http"
)

// Sentinel errors. Stages wrap them with context (fmt.Errorf("navigate %s: %w",
// u, ErrTimeout)); transports map them to status codes with errors.Is and
// Code.
var (
	// ErrInvalidRequest is a request the caller must fix.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrTimeout is a request that did not finish within its deadline.
	ErrTimeout = errors.New("timed out")
	// ErrBlocked is a page the network guard refused to load.
	ErrBlocked = errors.New("blocked")
	// ErrOverloaded means every render slot and queue place is taken.
	ErrOverloaded = errors.New("overloaded")
	// ErrNavigation is a page that could not be loaded (DNS, connection, TLS, HTTP).
	ErrNavigation = errors.New("navigation failed")
	// ErrPageTooLarge is a document larger than the engine that fetched it
	// reads; its message names the limit and what raises it.
	ErrPageTooLarge = errors.New("page too large")
	// ErrBrowser is a browser that failed under a request (crash, lost connection).
	ErrBrowser = errors.New("browser failed")
	// ErrClosed is returned by a Service or adapter after Close.
	ErrClosed = errors.New("closed")
	// ErrNotFound is something named by id (a crawl job) that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNotEnabled is a capability this service was not configured with
	// (crawling, a language model): asking again will not help.
	ErrNotEnabled = errors.New("not enabled")
	// ErrTooLarge is a request body larger than the service accepts.
	ErrTooLarge = errors.New("too large")
	// ErrTooManyCalls is a program's sous.* call past the cap on the
	// renders one program may ask for.
	ErrTooManyCalls = errors.New("too many renders")
	// ErrUnauthorized is a request without a token the service accepts.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrDisallowed is a page its site asks not to be used for the
	// request's purpose (robots.txt's Content-Signal).
	ErrDisallowed = errors.New("disallowed")
)

// Blocked is the error for a page the network guard refused: host resolved
// to an address of the class rule names. It never shows the address itself.
func Blocked(host, rule string) error {
	if rule == "non-public" { // netguard.RuleNotPublic: a name, which may not resolve at all
		return fmt.Errorf("%w: %s has no public address; pages may only load from public addresses (the operator can pass --allow-private)", ErrBlocked, host)
	}
	return fmt.Errorf("%w: %s is a %s address; pages may only load from public addresses (the operator can pass --allow-private)", ErrBlocked, host, rule)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// Code is the stable, machine-readable name of an error's kind, as every
// transport writes it in its error replies ("timeout", "script_error" …).
// The table below gives each its sentinel, its HTTP status and whether a
// caller may try the same request again; api, the MCP tools, crawl and the
// client all read it, so a code means the same everywhere.
type Code string

// The codes, in the order CodeOf tries them: the script sentinels before
// the others, since a script's timeout is the script's fault.
const (
	CodeScriptTimeout  Code = "script_timeout"
	CodeScriptMemory   Code = "script_memory"
	CodeScriptOutput   Code = "script_output_too_large"
	CodeScript         Code = "script_error"
	CodeTooManyCalls   Code = "too_many_renders"
	CodeInvalidRequest Code = "invalid_request"
	CodeTooLarge       Code = "too_large"
	CodeUnauthorized   Code = "unauthorized"
	CodeNotFound       Code = "not_found"
	CodeNotEnabled     Code = "not_enabled"
	CodeTimeout        Code = "timeout"
	CodeBlocked        Code = "blocked"
	CodeDisallowed     Code = "disallowed"
	CodePayment        Code = "payment_required"
	CodeOverloaded     Code = "overloaded"
	CodeObstacle       Code = "obstacle"
	CodeNavigation     Code = "navigation_failed"
	CodePageTooLarge   Code = "page_too_large"
	CodeBrowser        Code = "browser_error"
	CodeUnavailable    Code = "unavailable"
	// CodeInternal is every error no sentinel explains: a bug.
	CodeInternal Code = "internal"
)

// codeInfo is one row of the code table.
type codeInfo struct {
	code     Code
	sentinel error
	// status is the HTTP status of the native API.
	status int
	// retryable means the same request may succeed later without change:
	// the service was busy or replacing a browser, not refusing it.
	retryable bool
}

// codes is the one table of error kinds, in CodeOf's order.
var codes = []codeInfo{
	// A script's failure is the caller's to fix: 422, never retried.
	{CodeScriptTimeout, ErrScriptTimeout, http.StatusUnprocessableEntity, false},
	{CodeScriptMemory, ErrScriptMemory, http.StatusUnprocessableEntity, false},
	{CodeScriptOutput, ErrScriptOutput, http.StatusUnprocessableEntity, false},
	{CodeScript, ErrScript, http.StatusUnprocessableEntity, false},
	// A program asked for more renders than one program may: a
	// rejection its code sees, and the program's fault if it throws.
	{CodeTooManyCalls, ErrTooManyCalls, http.StatusUnprocessableEntity, false},
	{CodeInvalidRequest, ErrInvalidRequest, http.StatusBadRequest, false},
	{CodeTooLarge, ErrTooLarge, http.StatusRequestEntityTooLarge, false},
	{CodeUnauthorized, ErrUnauthorized, http.StatusUnauthorized, false},
	{CodeNotFound, ErrNotFound, http.StatusNotFound, false},
	{CodeNotEnabled, ErrNotEnabled, http.StatusNotImplemented, false},
	// The page took its whole deadline: asking again at once would too.
	{CodeTimeout, ErrTimeout, http.StatusGatewayTimeout, false},
	{CodeBlocked, ErrBlocked, http.StatusForbidden, false},
	// The site refuses the declared purpose; it will until it says otherwise.
	{CodeDisallowed, ErrDisallowed, http.StatusForbidden, false},
	// The page asks a price the service will not pay as things stand.
	{CodePayment, ErrPaymentRequired, http.StatusPaymentRequired, false},
	{CodeOverloaded, ErrOverloaded, http.StatusTooManyRequests, true},
	// The page was rendered and is a challenge, a login, a paywall or a
	// 402: not content, and trying again will not make it content.
	{CodeObstacle, ErrObstacle, http.StatusUnprocessableEntity, false},
	{CodeNavigation, ErrNavigation, http.StatusBadGateway, false},
	// The page is there, but larger than the engine reads: 422, as for a
	// script, since the same request will fail the same way.
	{CodePageTooLarge, ErrPageTooLarge, http.StatusUnprocessableEntity, false},
	{CodeBrowser, ErrBrowser, http.StatusServiceUnavailable, true},
	{CodeUnavailable, ErrClosed, http.StatusServiceUnavailable, true},
	{CodeInternal, nil, http.StatusInternalServerError, false},
}

// CodeOf is the code of err: that of the first sentinel of the table it
// wraps, CodeInternal when it wraps none, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	for _, c := range codes {
		if c.sentinel != nil && errors.Is(err, c.sentinel) {
			return c.code
		}
	}
	return CodeInternal
}

func (c Code) info() (codeInfo, bool) {
	for _, row := range codes {
		if row.code == c {
			return row, true
		}
	}
	return codeInfo{}, false
}

// Status is the HTTP status a reply with this code carries; 500 for a code
// the table does not know.
func (c Code) Status() int {
	if row, ok := c.info(); ok {
		return row.status
	}
	return http.StatusInternalServerError
}

// Retryable reports whether the same request may succeed if sent again
// later: the service was overloaded or replacing a browser. Everything else
// fails the same way until the caller or the operator changes something.
func (c Code) Retryable() bool {
	row, _ := c.info()
	return row.retryable
}

// Codes lists every code of the table, CodeInternal last.
func Codes() []Code {
	all := make([]Code, len(codes))
	for i, row := range codes {
		all[i] = row.code
	}
	return all
}

// Err is the sentinel of c, for a client that reads a code off the wire
// and returns the error the Service would have; nil for CodeInternal and
// codes the table does not know.
func (c Code) Err() error {
	row, _ := c.info()
	return row.sentinel
}
