//go:build !linux

package tesths

import "syscall"

func sysProcAttr() *syscall.SysProcAttr { return nil }
