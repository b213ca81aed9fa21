//go:build unix && !linux

package testpg

import "syscall"

// sysProcAttr runs the postmaster as r.
func sysProcAttr(r runAs) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: r.cred}
}
