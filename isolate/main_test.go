package isolate_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/sous-dev/sous/isolate"
)

// pool is shared by the tests: two real worker processes, this test binary
// in worker mode.
var pool *isolate.Pool

func TestMain(m *testing.M) {
	isolate.ServeIfWorker()
	var err error
	pool, err = isolate.New(context.Background(), isolate.Options{Command: isolate.SelfCommand()})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	pool.Close()
	os.Exit(code)
}
