package tesths

import "syscall"

// sysProcAttr makes the kernel kill dendrite if the test binary dies without
// running cleanups (a panic or `go test -timeout`), so no server outlives it.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
