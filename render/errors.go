package render

import (
	"errors"
	"fmt"
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
	// ErrBrowser is a browser that failed under a request (crash, lost connection).
	ErrBrowser = errors.New("browser failed")
	// ErrClosed is returned by a Service or adapter after Close.
	ErrClosed = errors.New("closed")
)

// Blocked is the error for a page the network guard refused: host resolved
// to an address of the class rule names. It never shows the address itself.
func Blocked(host, rule string) error {
	return fmt.Errorf("%w: %s is a %s address; pages may only load from public addresses (the operator can pass --allow-private)", ErrBlocked, host, rule)
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidRequest, fmt.Sprintf(format, args...))
}

// Code is the stable, machine-readable name of an error's kind, used in JSON
// error replies by every transport.
func Code(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrScriptTimeout):
		return "script_timeout"
	case errors.Is(err, ErrScriptMemory):
		return "script_memory"
	case errors.Is(err, ErrScriptOutput):
		return "script_output_too_large"
	case errors.Is(err, ErrScript):
		return "script_error"
	case errors.Is(err, ErrInvalidRequest):
		return "invalid_request"
	case errors.Is(err, ErrTimeout):
		return "timeout"
	case errors.Is(err, ErrBlocked):
		return "blocked"
	case errors.Is(err, ErrOverloaded):
		return "overloaded"
	case errors.Is(err, ErrNavigation):
		return "navigation_failed"
	case errors.Is(err, ErrBrowser):
		return "browser_error"
	case errors.Is(err, ErrClosed):
		return "unavailable"
	default:
		return "internal"
	}
}
