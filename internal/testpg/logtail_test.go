package testpg

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	for _, tc := range []struct {
		data   string
		offset int64
		lines  int
		want   string
	}{
		{"", 0, 3, ""},
		{"a\nb\nc\n", 0, 2, "b\nc"},
		{"a\nb\nc", 0, 5, "a\nb\nc"},
		{"\nb\n", 0, 5, "b"},
		{"a\nb\nc\n", 2, 5, "b\nc"},
	} {
		if err := os.WriteFile(path, []byte(tc.data), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := fileTail(path, tc.offset, tc.lines)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("fileTail(%q, %d, %d) = %q, want %q", tc.data, tc.offset, tc.lines, got, tc.want)
		}
	}
}
