//go:build !linux

package media

import "syscall"

// groupProcAttr puts a yt-dlp process in its own process group, so a timeout kills its children too.
func groupProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
