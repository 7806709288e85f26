package isolate

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/sous-dev/sous/render"
)

// The parent and a worker talk in frames over the worker's standard input
// and output: a 4-byte big-endian length, then that many bytes of JSON.
//
//	parent → worker  run     one script or program, with its limits
//	worker → parent  ready   once at start, after the worker's own setup
//	worker → parent  started a run arrived: from here on, a death is the run's
//	worker → parent  call    a sous.* binding of a program, numbered
//	parent → worker  reply   the answer to a call
//	worker → parent  done    the run's JSON result or error, and its logs

// maxFrame bounds one frame, so that neither side can make the other
// allocate without limit: the largest render result a program may see plus
// room for the largest script.
const maxFrame = 64 << 20

type frame struct {
	Type string `json:"t"`

	// run
	Mode   string          `json:"mode,omitempty"` // modeScript or modeCode
	Source string          `json:"source,omitempty"`
	Input  json.RawMessage `json:"input,omitempty"`
	Limits *limits         `json:"limits,omitempty"`

	// call and reply
	Call   int             `json:"call,omitempty"`
	Method string          `json:"method,omitempty"`
	Args   json.RawMessage `json:"args,omitempty"`

	// reply and done
	Result json.RawMessage `json:"result,omitempty"`
	Error  *frameError     `json:"error,omitempty"`
	Logs   []string        `json:"logs,omitempty"`
	// Exiting says the worker ends after this done frame: it ran out of
	// memory, or a run did not stop when interrupted.
	Exiting bool `json:"exiting,omitempty"`
}

const (
	modeScript = "script"
	modeCode   = "code"
)

// limits are what one run may use, as the worker enforces them.
type limits struct {
	WallMs      int64 `json:"wallMs"`
	CPUMs       int64 `json:"cpuMs"`
	MemoryBytes int64 `json:"memoryBytes"`
	OutputBytes int   `json:"outputBytes"`
	// MaxCalls bounds a program's sous.* calls; past it the worker rejects
	// them itself, so a program cannot flood the parent.
	MaxCalls int `json:"maxCalls,omitempty"`
}

// frameError is an error crossing the pipe: a stable code (render.Code's
// names, plus those of a sous.* call) and where a script failed.
type frameError struct {
	Code    render.Code `json:"code"`
	Message string      `json:"message"`
	Line    int         `json:"line,omitempty"`
	Column  int         `json:"column,omitempty"`
}

// conn reads and writes frames. Writes are safe for concurrent use; reads
// belong to one goroutine.
type conn struct {
	r  *bufio.Reader
	mu sync.Mutex
	w  io.Writer
}

func newConn(r io.Reader, w io.Writer) *conn {
	return &conn{r: bufio.NewReaderSize(r, 64<<10), w: w}
}

var errFrameTooLarge = errors.New("frame too large")

func (c *conn) write(f *frame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if len(b) > maxFrame {
		return fmt.Errorf("%w: %d bytes", errFrameTooLarge, len(b))
	}
	buf := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(buf, uint32(len(b)))
	buf = append(buf, b...)
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err = c.w.Write(buf)
	return err
}

func (c *conn) read() (*frame, error) {
	var n [4]byte
	if _, err := io.ReadFull(c.r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > maxFrame {
		return nil, fmt.Errorf("%w: %d bytes", errFrameTooLarge, size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, err
	}
	f := new(frame)
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("bad frame: %w", err)
	}
	return f, nil
}
