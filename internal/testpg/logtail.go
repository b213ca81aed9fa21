package testpg

import (
	"bytes"
	"os"
)

// logTailLines is how much of the server log a failure prints.
const logTailLines = 40

// fileTail returns the last lines of the file at path, from byte offset on.
func fileTail(path string, offset int64, lines int) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	if offset > 0 && offset <= int64(len(data)) {
		data = data[offset:]
	}
	data = bytes.TrimRight(data, "\n")
	if len(data) == 0 {
		return "", nil
	}
	cut := len(data)
	for i := 0; i < lines && cut > 0; i++ {
		cut = bytes.LastIndexByte(data[:cut], '\n')
	}
	return string(data[cut+1:]), nil
}
