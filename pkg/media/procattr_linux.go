package media

import "syscall"

// groupProcAttr puts a yt-dlp process in its own process group, so a timeout kills its children
// too, and has the kernel kill it when the bridge dies, so a crashed bridge leaves no worker behind.
func groupProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
