package session_test

import (
	"io"
	"log/slog"
)

// newLogger logs everything, arguments included, as text to w.
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
