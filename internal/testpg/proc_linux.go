package testpg

import "syscall"

// sysProcAttr runs the postmaster as r. Pdeathsig makes the kernel kill it
// if the test binary dies without running cleanups (a panic or `go test
// -timeout`); its children notice and exit on their own. Go sets Pdeathsig
// after switching user, which would otherwise clear it.
func sysProcAttr(r runAs) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: r.cred, Pdeathsig: syscall.SIGKILL}
}
