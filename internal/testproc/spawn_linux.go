package testproc

import "syscall"

// setParentDeathSignal asks for SIGKILL when the forking thread exits. Go applies it after
// switching user, so it survives a Credential.
func setParentDeathSignal(attr *syscall.SysProcAttr) { attr.Pdeathsig = syscall.SIGKILL }
