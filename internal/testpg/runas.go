package testpg

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"syscall"
)

// systemUser is the account Debian's postgresql package creates.
const systemUser = "postgres"

// runAs is the account initdb and postgres run as. cred is nil when that is
// the current user.
type runAs struct {
	uid, gid int
	cred     *syscall.Credential
}

// serverUser returns the current user, or the postgres system user when
// running as root (PostgreSQL refuses to start as root).
func serverUser() (runAs, error) {
	if os.Geteuid() != 0 {
		return runAs{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup(systemUser)
	if err != nil {
		return runAs{}, fmt.Errorf("failed to find the %q user, which PostgreSQL runs as when the tests run as root: %w; %s (it creates the user)", systemUser, err, setupHint)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return runAs{}, fmt.Errorf("failed to parse uid %q of %q: %w", u.Uid, systemUser, err)
	}
	gid, err := strconv.Atoi(u.Gid)
	if err != nil {
		return runAs{}, fmt.Errorf("failed to parse gid %q of %q: %w", u.Gid, systemUser, err)
	}
	// An empty Groups drops root's supplementary groups too.
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}
	return runAs{uid: uid, gid: gid, cred: cred}, nil
}

// switches reports whether the server runs as another user than the tests.
func (r runAs) switches() bool { return r.cred != nil }
