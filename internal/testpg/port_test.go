package testpg

import (
	"errors"
	"net"
	"testing"

	"github.com/igbridge/igbridge/internal/testproc"
)

// start retries on errPortTaken, so it must recognise postgres's
// complaint about a port someone else holds.
func TestTakenPortIsRecognised(t *testing.T) {
	s := Start(t)
	binDir, err := Binaries()
	if err != nil {
		t.Fatal(err)
	}
	r, err := serverUser()
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(s.admin.Close(), s.proc.stop()); err != nil {
		t.Fatalf("failed to stop the server: %v", err)
	}
	s.admin, s.proc = nil, nil

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	// Hang up at once, as a refusing stranger would: one that never
	// answered would cost the ping its 5 s connect_timeout.
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	err = s.startPostmaster(binDir, r, l.Addr().(*net.TCPAddr).Port)
	if !errors.Is(err, errPortTaken) {
		t.Fatalf("starting on a taken port: error %v, want errPortTaken", err)
	}
	t.Logf("as expected: %v", err)

	port, err := testproc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.startPostmaster(binDir, r, port); err != nil {
		t.Fatalf("failed to start again on a free port: %v", err)
	}
}
