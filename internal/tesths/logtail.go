package tesths

import (
	"bytes"
	"os"
	"testing"
)

// logTail prints the end of dendrite.log, which is where start-up errors and
// server-side failures show up.
func (hs *Homeserver) logTail(t testing.TB) {
	t.Helper()
	tail, err := fileTail(hs.LogPath(), logTailLines)
	if err != nil {
		t.Logf("tesths: failed to read dendrite log: %v", err)
		return
	}
	t.Logf("tesths: last lines of %s:\n%s", hs.LogPath(), tail)
}

func fileTail(path string, lines int) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	data = bytes.TrimRight(data, "\n")
	cut := len(data)
	for i := 0; i < lines && cut > 0; i++ {
		idx := bytes.LastIndexByte(data[:cut], '\n')
		if idx < 0 {
			cut = 0
			break
		}
		cut = idx
	}
	if cut > 0 {
		cut++ // drop the newline itself
	}
	return string(data[cut:]), nil
}
